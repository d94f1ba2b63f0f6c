"""Kafka topic and security settings turned into the transport's options."""

import ssl

import pytest
from pydantic import ValidationError

from bluemap_shared.cli import kafka_client_options, kafka_topic_config
from bluemap_shared.settings import ServiceSettings


def test_plaintext_by_default_with_the_brokers_topic_defaults() -> None:
    settings = ServiceSettings()
    assert kafka_client_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert kafka_topic_config(settings) == {}
    assert settings.kafka_topic_partitions == 12


def test_sasl_ssl_gives_every_client_credentials_and_a_tls_context() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="records",
        kafka_sasl_password="s3cret",
    )
    options = kafka_client_options(settings)
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "records",
        "sasl_plain_password": "s3cret",
    }


def test_topic_config_carries_min_insync_replicas_and_retention() -> None:
    # Topics kept for ever: inbox rows must be too (retention_inbox_days=None), or a replay from the
    # earliest offset would handle again what the inbox forgot.
    settings = ServiceSettings(
        kafka_replication_factor=3, kafka_min_insync_replicas=2, kafka_retention_ms=-1, retention_inbox_days=None
    )
    assert kafka_topic_config(settings) == {"min.insync.replicas": "2", "retention.ms": "-1"}


@pytest.mark.parametrize(
    "options",
    [
        {"kafka_replication_factor": 1, "kafka_min_insync_replicas": 2},
        {"kafka_security_protocol": "SASL_PLAINTEXT"},
        {"kafka_ssl_certfile": "/client.pem"},
        {"kafka_topic_partitions": 0},
    ],
    ids=["min-isr-above-replicas", "sasl-without-user", "cert-without-key", "no-partitions"],
)
def test_inconsistent_kafka_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(**options)  # type: ignore[arg-type]
