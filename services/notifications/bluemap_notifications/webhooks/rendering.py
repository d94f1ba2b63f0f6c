"""The email telling a partner that its endpoint was disabled."""

from bluemap_notifications.emails.rendering import CLOSING_EN, CLOSING_ZH, RenderedEmail, Section, compose
from bluemap_shared.events.catalog import WebhookSubscriptionDisabled


def render_subscription_disabled(event: WebhookSubscriptionDisabled) -> RenderedEmail:
    """Which endpoint stopped receiving public changes, why, and how to get them again."""
    fields_zh = [("接收地址", event.url), ("订阅编号", str(event.subscription_id)), ("原因", event.reason)]
    fields_en = [("Endpoint", event.url), ("Subscription", str(event.subscription_id)), ("Reason", event.reason)]
    return compose(
        f"【蔚蓝地图】Webhook 接收地址已停用 / Blue Map: your webhook endpoint was disabled – {event.url}"[:500],
        Section(
            "zh",
            f"{event.partner_name}：",
            intro=["以下 Webhook 接收地址在整个重试周期内持续投递失败，已被自动停用，不再接收公开变更。"],
            fields=fields_zh,
            steps=[
                "检查接收地址是否可访问，并对有效请求返回 2xx 状态码；",
                "通过合作方 API 启用该订阅（POST /v1/partner/subscriptions/{id}/enable）；",
                "如需补收，可在投递日志中重放失败的投递。",
            ],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            f"Dear {event.partner_name},",
            intro=[
                "The webhook endpoint below failed every delivery attempt of the whole retry schedule. "
                "It was disabled and receives no public changes until it is enabled again."
            ],
            fields=fields_en,
            steps=[
                "Make sure the endpoint is reachable and answers valid requests with a 2xx status.",
                "Enable the subscription through the partner API (POST /v1/partner/subscriptions/{id}/enable).",
                "Replay the failed deliveries from your delivery log if you need them.",
            ],
            closing=CLOSING_EN,
        ),
    )
