"""Pure portal rules: the status the public sees, China's date, categories, verification codes, feedback order."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from bluemap_portal.categories.service import ENTERPRISE_FEEDBACK, categories, category, feedback_items
from bluemap_portal.clock import china_date, china_today
from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.documents.service import download_url, normalize_code
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.explanations.models import PortalExplanation
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.service import display_status
from bluemap_portal.settings import PortalSettings
from bluemap_portal.site.i18n import document_label, file_size
from bluemap_shared.problems import NotFound

TODAY = date(2024, 5, 17)


def test_awaiting_past_its_deadline_is_overdue() -> None:
    assert display_status("awaiting_explanation", date(2024, 5, 16), TODAY) == "overdue"
    assert display_status("awaiting_explanation", TODAY, TODAY) == "awaiting_explanation"  # due today: not yet
    assert display_status("awaiting_explanation", date(2024, 6, 1), TODAY) == "awaiting_explanation"
    assert display_status("awaiting_explanation", None, TODAY) == "awaiting_explanation"


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("explanation_submitted", "under_review"),
        ("under_review", "under_review"),
        ("explained", "explained"),
        ("resolved", "resolved"),
        ("published", "published"),
    ],
)
def test_statuses_other_than_awaiting_are_never_overdue(status: str, shown: str) -> None:
    assert display_status(status, date(2020, 1, 1), TODAY) == shown


def test_the_day_is_the_day_in_china() -> None:
    assert china_today(datetime(2024, 5, 16, 15, 59, tzinfo=UTC)) == date(2024, 5, 16)
    assert china_today(datetime(2024, 5, 16, 16, 0, tzinfo=UTC)) == date(2024, 5, 17)
    assert china_date(datetime(2024, 12, 31, 16, 30, tzinfo=UTC)) == date(2025, 1, 1)


def test_every_record_type_is_a_category_and_feedback_follows_automated_monitoring() -> None:
    codes = [c.code for c in categories()]
    assert len(codes) == 18
    assert codes[:2] == ["environmental_supervision", "rectification_order"]
    assert codes.index(ENTERPRISE_FEEDBACK) == codes.index("automated_monitoring") + 1
    assert category(ENTERPRISE_FEEDBACK).label_zh == "企业反馈"
    assert category("accident").label_en == "Accidents"
    with pytest.raises(NotFound):
        category("no_such_type")


def test_verification_codes_are_trimmed_lower_case_and_bounded() -> None:
    assert normalize_code("  ABCdef0123 ") == "abcdef0123"
    assert normalize_code("<script>") is None
    assert normalize_code("") is None
    assert normalize_code(None) is None
    assert normalize_code("a" * 129) is None


def test_download_url_points_at_the_documents_public_endpoint() -> None:
    document_id = uuid4()
    assert (
        download_url("http://127.0.0.1:8000/api/documents/", document_id)
        == f"http://127.0.0.1:8000/api/documents/v1/public/documents/{document_id}/content"
    )


def test_documents_base_url_must_be_a_web_url() -> None:
    assert PortalSettings(
        documents_public_base_url="https://d.example.org/api/documents/"
    ).documents_public_base_url == ("https://d.example.org/api/documents")
    with pytest.raises(ValueError, match="http"):
        PortalSettings(documents_public_base_url="javascript:alert(1)")


def test_document_labels_and_sizes() -> None:
    assert document_label("supporting", "discharge_permit", "zh") == "排污许可证"
    assert document_label("signed-explanation", None, "en") == "Signed public explanation"
    assert document_label("new-kind", None, "en") == "new-kind"
    assert file_size(512) == "512 B"
    assert file_size(2048) == "2 KB"
    assert file_size(3 * 1024 * 1024) == "3.0 MB"


def test_feedback_is_newest_first_and_skips_explanations_of_hidden_records() -> None:
    enterprise_id, public_record, hidden_record = uuid4(), uuid4(), uuid4()
    now = datetime(2024, 5, 17, tzinfo=UTC)

    def explanation(record_id: UUID, at: datetime) -> PortalExplanation:
        return PortalExplanation(
            id=uuid4(),
            tenant_id="ipe",
            record_id=record_id,
            enterprise_id=enterprise_id,
            submission_id=uuid4(),
            violation="v",
            reasons="r",
            corrective_actions="c",
            published_at=at,
        )

    document = DocumentPublic(
        id=uuid4(),
        kind="supporting",
        category=None,
        filename="f.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        record_ids=[],
        submission_id=None,
        verification_code=None,
        document_number=None,
        published_at=now - timedelta(days=1),
        download_url="http://d/x",
    )
    record = PortalRecord(
        id=public_record,
        tenant_id="ipe",
        enterprise_id=enterprise_id,
        record_type="accident",
        year=2024,
        source_title="t",
        issuing_authority="a",
        issued_on=date(2024, 1, 1),
        status="explained",
        published_at=now,
    )
    company = PortalEnterprise(id=enterprise_id, tenant_id="ipe", uscc="x", name="企业", updated_at=now)
    items = feedback_items(
        [explanation(public_record, now - timedelta(days=2)), explanation(hidden_record, now)],
        [document],
        enterprises={enterprise_id: company},
        records_by_id={public_record: record},
        document_owners={document.id: enterprise_id},
    )
    assert [i.kind for i in items] == ["document", "explanation"]
    assert items[1].record is not None
    assert items[1].record.source_title == "t"
    assert all(i.enterprise_name == "企业" for i in items)
