"""Topics created as the settings say (partitions, replicas, min.insync.replicas, retention), read back."""

from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import InvalidReplicationFactorError

from bluemap_shared.cli import kafka_client_options, transport_for
from bluemap_shared.messaging.transport import dead_letter_topic
from bluemap_shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

TOPICS = ["bluemap.records", dead_letter_topic("records")]
HOUR_MS = 3_600_000


def kafka_settings(kafka_bootstrap: str, namespace: str, **options: Any) -> ServiceSettings:
    return ServiceSettings(transport="kafka", kafka_bootstrap=kafka_bootstrap, kafka_namespace=namespace, **options)


async def described(settings: ServiceSettings, topics: list[str]) -> dict[str, dict[str, Any]]:
    """Each existing topic's partition count and replication factor, with its topic-level configs."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, **kafka_client_options(settings))
    await admin.start()
    try:
        names = [settings.kafka_namespace + topic for topic in topics]
        metadata = {t["topic"]: t for t in await admin.describe_topics(names) if t["error_code"] == 0}
        found = [name for name in names if name in metadata]
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in found] if found else []
        )
        configs = {
            resource[3]: {entry[0]: entry[1] for entry in resource[4]}
            for response in responses
            for resource in response.resources
        }
        return {
            name: {
                "partitions": len(metadata[name]["partitions"]),
                "replicas": {len(p["replicas"]) for p in metadata[name]["partitions"]},
                "config": configs[name],
            }
            for name in found
        }
    finally:
        await admin.close()


async def test_topics_get_the_configured_partitions_replication_and_retention(
    kafka_bootstrap: str, namespace: str
) -> None:
    settings = kafka_settings(
        kafka_bootstrap,
        namespace,
        kafka_topic_partitions=5,
        kafka_replication_factor=1,
        kafka_min_insync_replicas=1,
        kafka_retention_ms=HOUR_MS,
    )
    await transport_for(settings, "topics-test").ensure_topics(TOPICS)

    topics = await described(settings, TOPICS)
    assert sorted(topics) == sorted(namespace + t for t in TOPICS)
    for name, topic in topics.items():
        assert topic["partitions"] == 5, name
        assert topic["replicas"] == {1}, name
        assert topic["config"]["retention.ms"] == str(HOUR_MS), name
        assert topic["config"]["min.insync.replicas"] == "1", name


async def test_default_topics_have_partitions_for_twelve_consumers_and_the_brokers_retention(
    kafka_bootstrap: str, namespace: str
) -> None:
    settings = kafka_settings(kafka_bootstrap, namespace)
    await transport_for(settings, "topics-test").ensure_topics(TOPICS)

    topics = await described(settings, TOPICS)
    assert {topic["partitions"] for topic in topics.values()} == {12}
    # The local broker's default (7 days): nothing set on the topic.
    assert {topic["config"]["retention.ms"] for topic in topics.values()} == {str(7 * 24 * HOUR_MS)}


async def test_a_replication_factor_the_cluster_cannot_meet_is_refused(kafka_bootstrap: str, namespace: str) -> None:
    """The local cluster has one broker: asking for three replicas must not quietly create one."""
    settings = kafka_settings(kafka_bootstrap, namespace, kafka_replication_factor=3, kafka_min_insync_replicas=2)
    with pytest.raises(InvalidReplicationFactorError):
        await transport_for(settings, "topics-test").ensure_topics(TOPICS)
    assert await described(settings, TOPICS) == {}
