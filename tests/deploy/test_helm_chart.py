"""deploy/helm/bluemap rendered with each value set in ci/, validated by kubeconform, and checked against the code."""

import importlib
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

REPO = Path(__file__).resolve().parents[2]

# Builds helm and kubeconform with Go on first use (cached in .cache/): not part of `make test-unit`.
pytestmark = pytest.mark.deploy


def _load_validate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("helm_validate", REPO / "deploy" / "helm" / "validate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


validate = _load_validate()
VALUE_SETS = {path.name.removesuffix("-values.yaml"): path for path in validate.VALUE_SETS}
PACKAGES = {
    "records": ("bluemap_records", "RecordsSettings"),
    "explanations": ("bluemap_explanations", "ExplanationsSettings"),
    "documents": ("bluemap_documents", "DocumentsSettings"),
    "notifications": ("bluemap_notifications", "NotificationsSettings"),
    "public-portal": ("bluemap_portal", "PortalSettings"),
}


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def value_set(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def manifests(value_set: str) -> str:
    text: str = validate.render(VALUE_SETS[value_set])
    return text


def documents_of(manifests: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(manifests) if document]


def of_kind(manifests: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents_of(manifests) if d["kind"] == kind}


def container_of(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def test_both_value_sets_exist() -> None:
    assert {"minimal", "production"} <= set(VALUE_SETS)


def test_kubeconform_finds_every_resource_valid(value_set: str, manifests: str) -> None:
    result = validate.kubeconform(manifests)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "Invalid: 0, Errors: 0, Skipped: 0" in summary, summary
    assert f"{len(documents_of(manifests))} resources found" in summary


@pytest.mark.parametrize(
    ("kind", "mutation"),
    [
        ("Deployment", lambda d: d["spec"].update(replicaz=2)),
        ("Deployment", lambda d: container_of(d).update(ports=[{"containerPort": "http"}])),
        ("ScaledObject", lambda d: d["spec"].update(maxReplicaCount="many")),
        ("HorizontalPodAutoscaler", lambda d: d["spec"].pop("maxReplicas")),
    ],
    ids=["unknown-field", "wrong-type", "keda-wrong-type", "missing-required"],
)
def test_kubeconform_rejects_a_broken_resource(kind: str, mutation: Any) -> None:
    """The validation can fail: one broken resource of the production set is reported invalid."""
    broken = [d for d in documents_of(validate.render(VALUE_SETS["production"])) if d["kind"] == kind][:1]
    assert broken, f"no {kind} rendered"
    mutation(broken[0])
    result = validate.kubeconform(yaml.safe_dump(broken[0]))
    assert result.returncode != 0
    assert "Invalid: 1" in result.stdout, result.stdout


def test_one_deployment_per_service_and_relay_with_probes(value_set: str, manifests: str) -> None:
    values = yaml.safe_load(VALUE_SETS[value_set].read_text())
    deployments = of_kind(manifests, "Deployment")
    services = of_kind(manifests, "Service")
    for service, (package, _) in PACKAGES.items():
        serve = container_of(deployments[f"bluemap-{service}"])
        assert serve["args"] == ["python", "-m", package, "serve"]
        assert serve["livenessProbe"]["httpGet"]["path"] == f"/api/{service}/healthz"
        assert serve["startupProbe"]["httpGet"]["path"] == f"/api/{service}/healthz"
        assert serve["readinessProbe"]["httpGet"]["path"] == f"/api/{service}/readyz"
        assert serve["resources"]["requests"], service
        assert f"bluemap-{service}" in services
        relay_enabled = ((values.get("services", {}).get(service) or {}).get("relay") or {}).get("enabled")
        if service == "explanations" and relay_enabled is None:
            relay_enabled = True  # the chart's default, as in docker-compose.yml
        relay = deployments.get(f"bluemap-{service}-relay")
        assert (relay is not None) == bool(relay_enabled), service
        env = {e["name"]: e.get("value") for e in serve["env"]}
        prefix = f"BLUEMAP_{'PORTAL' if service == 'public-portal' else service.upper()}_"
        if relay is not None:
            assert container_of(relay)["args"] == ["python", "-m", package, "relay"]
            assert env[f"{prefix}OUTBOX_RELAY_IN_PROCESS"] == "false"
        else:
            assert f"{prefix}OUTBOX_RELAY_IN_PROCESS" not in env
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert name in of_kind(manifests, "PodDisruptionBudget"), f"{name}: no PodDisruptionBudget"


def test_migrations_run_as_pre_install_and_pre_upgrade_hooks_after_the_secret(manifests: str) -> None:
    jobs = of_kind(manifests, "Job")
    for service, (package, _) in PACKAGES.items():
        job = jobs[f"bluemap-{service}-migrate"]
        assert container_of(job)["args"] == ["python", "-m", package, "migrate"]
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        for secret in of_kind(manifests, "Secret").values():
            assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
                annotations["helm.sh/hook-weight"]
            )


def test_keda_scales_each_consumer_on_the_lag_of_every_topic_it_consumes(
    manifests: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scaled = of_kind(manifests, "ScaledObject")
    autoscalers = {d["spec"]["scaleTargetRef"]["name"] for d in of_kind(manifests, "HorizontalPodAutoscaler").values()}
    for name, scaled_object in scaled.items():
        service = name.removeprefix("bluemap-")
        assert scaled_object["spec"]["scaleTargetRef"]["name"] == name
        assert name not in autoscalers, f"{name}: KEDA and a HorizontalPodAutoscaler would fight over it"
        runtime = bootstrapped(service, tmp_path, monkeypatch)
        lag = [t["metadata"] for t in scaled_object["spec"]["triggers"] if t["type"] == "kafka"]
        (group,) = {m["consumerGroup"] for m in lag}
        assert group.endswith(runtime.name), group
        namespace = group.removesuffix(runtime.name)
        assert sorted(m["topic"] for m in lag) == sorted(namespace + topic for topic in runtime.consumer.topics)


def bootstrapped(service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The service's runtime in the embedded mode: what it really consumes, as its consumer group."""
    package, _ = PACKAGES[service]
    prefix = f"BLUEMAP_{'PORTAL' if service == 'public-portal' else service.upper()}_"
    monkeypatch.setenv(f"{prefix}DATA_DIR", str(tmp_path))
    return importlib.import_module(f"{package}.bootstrap").bootstrap().runtime


def test_minimal_environment_is_accepted_by_each_services_settings_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manifests = validate.render(VALUE_SETS["minimal"])
    (secret,) = of_kind(manifests, "Secret").values()
    keys = secret["stringData"]
    for service, (package, settings_class) in PACKAGES.items():
        container = container_of(of_kind(manifests, "Deployment")[f"bluemap-{service}"])
        for key in list(os.environ):
            if key.startswith("BLUEMAP_"):
                monkeypatch.delenv(key)
        cls = getattr(importlib.import_module(f"{package}.settings"), settings_class)
        prefix = cls.model_config["env_prefix"]
        for entry in container["env"]:
            if not entry["name"].startswith("BLUEMAP_"):
                continue
            field = entry["name"].removeprefix(prefix).lower()
            assert entry["name"].startswith(prefix), f"{service}: {entry['name']}"
            assert field in cls.model_fields, f"{service}: {entry['name']} is no setting"
            if "valueFrom" in entry:
                reference = entry["valueFrom"]["secretKeyRef"]
                assert reference["key"] in keys or reference.get("optional"), f"{service}: {reference['key']}"
                if reference["key"] in keys:
                    monkeypatch.setenv(entry["name"], keys[reference["key"]])
            else:
                monkeypatch.setenv(entry["name"], entry["value"])
        try:
            settings = cls()
        except ValidationError as exc:
            pytest.fail(f"{service}: {settings_class} rejects the chart's environment:\n{exc}")
        assert settings.environment == "production"
        assert settings.kafka_topic_partitions == 12
        assert settings.host == "0.0.0.0"


def test_production_kafka_settings_reach_every_service() -> None:
    values = yaml.safe_load(VALUE_SETS["production"].read_text())["kafka"]
    for name, deployment in of_kind(validate.render(VALUE_SETS["production"]), "Deployment").items():
        env = {e["name"].split("_", 2)[-1]: e for e in container_of(deployment)["env"]}
        assert env["KAFKA_REPLICATION_FACTOR"]["value"] == str(values["replicationFactor"]), name
        assert env["KAFKA_MIN_INSYNC_REPLICAS"]["value"] == str(values["minInsyncReplicas"]), name
        assert env["KAFKA_RETENTION_MS"]["value"] == str(values["retentionMs"]), name
        assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL", name
        assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "bluemap-production-keys", name
        assert env["KAFKA_SSL_CAFILE"]["value"] == "/etc/bluemap/kafka-ca/ca.crt", name


def test_production_traces_go_to_the_collector_from_every_pod() -> None:
    values = yaml.safe_load(VALUE_SETS["production"].read_text())["tracing"]["env"]
    manifests = validate.render(VALUE_SETS["production"])
    workloads = {**of_kind(manifests, "Deployment"), **of_kind(manifests, "Job")}
    assert workloads
    for name, workload in workloads.items():
        env = {e["name"]: e.get("value") for e in container_of(workload)["env"]}
        assert {key: env.get(key) for key in values} == {k: str(v) for k, v in values.items()}, name
