"""docker-compose.yml checked without Docker: every service's environment against its settings class, the wiring."""

import importlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
POSTGRES_INIT_DIR = REPO / "deploy" / "docker" / "postgres-init"
HEALTHY = "service_healthy"
COMPLETED = "service_completed_successfully"
JWKS_URL = "http://records:8101/api/records/.well-known/jwks.json"


@dataclass(frozen=True)
class App:
    service: str  # compose service, directory under services/ and name in /api/<service>
    package: str
    settings_class: str
    prefix: str
    port: int  # inside the container
    published: str  # container port alone (a free host port per replica) or host-range:container

    def settings_type(self) -> type[BaseSettings]:
        cls: type[BaseSettings] = getattr(importlib.import_module(f"{self.package}.settings"), self.settings_class)
        return cls


APPS = [
    App("records", "bluemap_records", "RecordsSettings", "BLUEMAP_RECORDS_", 8101, "8101"),
    App("explanations", "bluemap_explanations", "ExplanationsSettings", "BLUEMAP_EXPLANATIONS_", 8102, "8102"),
    App("documents", "bluemap_documents", "DocumentsSettings", "BLUEMAP_DOCUMENTS_", 8103, "8103-8112:8103"),
    App("notifications", "bluemap_notifications", "NotificationsSettings", "BLUEMAP_NOTIFICATIONS_", 8104, "8104"),
    App("public-portal", "bluemap_portal", "PortalSettings", "BLUEMAP_PORTAL_", 8100, "8000-8009:8100"),
]
by_service = pytest.mark.parametrize("app", APPS, ids=[app.service for app in APPS])

# ${VAR:-default} / ${VAR-default} -> default, ${VAR:?message} -> required, $$ -> $; anything else is empty unless
# the caller's env sets it.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>\w+):?-(?P<default>[^}]*)\}|\{(?P<required>\w+):?\?[^}]*\}|(?P<bare>\{[^}]*\}|\w+))"
)
# What an operator must set before `docker compose up` (Compose stops with the message otherwise).
REQUIRED_VARIABLES = {"BLUEMAP_DOCUMENTS_URL_SIGNING_KEY": secrets.token_hex(32)}


def resolve(value: Any, where: str) -> str:
    """The value Compose would use with none of the overridable variables set."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["name"]:
            return match["default"]
        if match["required"]:
            assert match["required"] in REQUIRED_VARIABLES, f"{where}: ${{{match['required']}}} is required; list it"
            return REQUIRED_VARIABLES[match["required"]]
        pytest.fail(f"{where}: ${match['bare']} has no default: Compose would pass an empty string")

    return INTERPOLATION.sub(substitute, str(value))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    assert isinstance(document.get("services"), dict), "docker-compose.yml has no `services:` mapping"
    return document


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    assert name in compose["services"], f"docker-compose.yml has no service {name!r}"
    definition: dict[str, Any] = compose["services"][name]
    return definition


def environment(compose: dict[str, Any], name: str) -> dict[str, str]:
    """A service's environment, interpolated with the defaults; list and mapping forms alike."""
    raw = service(compose, name).get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    env = {}
    for key, value in raw.items():
        assert value is not None, f"{name}: {key} has no value in docker-compose.yml (it would come from the host)"
        env[key] = resolve(value, f"{name}.environment.{key}")
    return env


def depends_on(definition: dict[str, Any]) -> dict[str, str]:
    raw = definition.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {target: (spec or {}).get("condition", "service_started") for target, spec in raw.items()}


def command_text(definition: dict[str, Any], key: str = "command") -> str:
    value = definition.get(key) or ""
    return " ".join(value) if isinstance(value, list) else str(value)


def is_one_shot(definition: dict[str, Any]) -> bool:
    return str(definition.get("restart", "no")) == "no"


def settings_from(app: App, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> BaseSettings:
    """The service's settings built from exactly the compose environment, as the container would."""
    for key in list(os.environ):
        if key.startswith("BLUEMAP_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        return app.settings_type()()
    except ValidationError as exc:
        pytest.fail(f"{app.service}: {app.settings_class} rejects the environment of docker-compose.yml:\n{exc}")


def volume_mounts(definition: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Container path -> (source, read-only), from the short `source:target[:ro]` syntax."""
    mounts = {}
    for entry in definition.get("volumes") or []:
        assert isinstance(entry, str), f"use the short volume syntax in docker-compose.yml: {entry!r}"
        source, target, *options = entry.split(":")
        mounts[target] = (source, "ro" in options)
    return mounts


# ---------------------------------------------------------------------------------------------- services


@by_service
def test_service_is_built_from_its_dockerfile(compose: dict[str, Any], app: App) -> None:
    build = service(compose, app.service).get("build")
    assert isinstance(build, dict), f"{app.service}: `build` must be a mapping with context and dockerfile"
    context = (REPO / build.get("context", ".")).resolve()
    assert context == REPO, f"{app.service}: the build context must be the repository root, not {context}"
    expected = f"services/{app.service}/Dockerfile"
    assert build.get("dockerfile") == expected, f"{app.service}: dockerfile should be {expected}"
    dockerfile = context / expected
    assert dockerfile.is_file(), f"{app.service}: {dockerfile.relative_to(REPO)} does not exist"
    text = dockerfile.read_text(encoding="utf-8")
    assert re.search(rf"^EXPOSE\s+{app.port}\b", text, re.MULTILINE), f"{expected} does not EXPOSE {app.port}"


@by_service
def test_environment_names_only_fields_of_the_services_settings(compose: dict[str, Any], app: App) -> None:
    fields = set(app.settings_type().model_fields)
    env = environment(compose, app.service)
    assert env, f"{app.service}: no environment"
    for key in env:
        if not key.startswith("BLUEMAP_"):
            continue
        assert key.startswith(app.prefix), f"{app.service}: {key} lacks the service's prefix {app.prefix}"
        field = key.removeprefix(app.prefix).lower().split("__", 1)[0]
        assert field in fields, (
            f"{app.service}: {key} is no setting of {app.settings_class} (fields: {', '.join(sorted(fields))}); "
            "pydantic-settings would ignore it silently"
        )


@by_service
def test_settings_accept_the_environment_in_production(
    compose: dict[str, Any], app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: Any = settings_from(app, environment(compose, app.service), monkeypatch)
    assert settings.environment == "production", f"{app.service}: set {app.prefix}ENVIRONMENT=production"
    assert settings.transport == "kafka"
    assert settings.kafka_bootstrap == "kafka:9092", f"{app.service}: kafka_bootstrap is {settings.kafka_bootstrap}"
    assert settings.jwks_url == JWKS_URL, f"{app.service}: jwks_url is {settings.jwks_url}"
    assert settings.port == app.port, f"{app.service}: listens on {settings.port}, compose expects {app.port}"
    url = urlsplit(settings.database_url)
    assert url.scheme == "postgresql+asyncpg", f"{app.service}: database_url {settings.database_url}"
    assert (url.hostname, url.port) == ("postgres", 5432), f"{app.service}: database_url must reach postgres:5432"


@by_service
def test_service_migrates_then_serves_and_reports_readiness(compose: dict[str, Any], app: App) -> None:
    definition = service(compose, app.service)
    command = command_text(definition)
    migrate = f"python -m {app.package} migrate"
    serve = f"python -m {app.package} serve --host 0.0.0.0"
    assert migrate in command, f"{app.service}: command should run `{migrate}` before serving: {command}"
    assert serve in command, f"{app.service}: command should run `{serve}`: {command}"
    assert command.index(migrate) < command.index(serve), f"{app.service}: migrate must come before serve"
    assert f"{migrate} && " in command, f"{app.service}: serve must not start when migrate fails (use &&)"

    probe = command_text(definition.get("healthcheck") or {}, "test")
    readyz = f"http://127.0.0.1:{app.port}/api/{app.service}/readyz"
    assert readyz in probe, f"{app.service}: healthcheck should request {readyz}, not: {probe}"
    assert definition.get("ports") == [app.published], f"{app.service}: ports should be [{app.published!r}]"


# ---------------------------------------------------------------------------------------------- wiring


def test_every_dependency_exists_and_can_meet_its_condition(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, definition in services.items():
        for target, condition in depends_on(definition).items():
            assert target in services, f"{name} depends on {target!r}, which is no service"
            assert condition in (HEALTHY, COMPLETED), f"{name} -> {target}: use service_healthy or {COMPLETED}"
            if condition == HEALTHY:
                assert services[target].get("healthcheck"), f"{name} waits for {target} to be healthy: no healthcheck"
            else:
                assert is_one_shot(services[target]), f"{name} waits for {target} to exit, but it restarts"


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, definition in compose["services"].items():
        if is_one_shot(definition):
            continue
        test = (definition.get("healthcheck") or {}).get("test")
        assert test, f"{name}: no healthcheck"
        assert test != ["NONE"], f"{name}: healthcheck disabled"


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, definition in compose["services"].items():
        for source, _ in volume_mounts(definition).values():
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} mounts volume {source!r}, not declared under `volumes:`"


def test_postgres_init_creates_every_database_the_services_use(compose: dict[str, Any]) -> None:
    postgres = environment(compose, "postgres")
    mounts = volume_mounts(service(compose, "postgres"))
    assert "/docker-entrypoint-initdb.d" in mounts, "postgres: mount deploy/docker/postgres-init"
    source, _ = mounts["/docker-entrypoint-initdb.d"]
    assert (REPO / source).resolve() == POSTGRES_INIT_DIR, f"postgres: init scripts come from {source}"
    scripts = sorted(POSTGRES_INIT_DIR.glob("*.sql")) + sorted(POSTGRES_INIT_DIR.glob("*.sh"))
    assert scripts, f"no init script in {POSTGRES_INIT_DIR}"
    created = {
        name.lower()
        for script in scripts
        for name in re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)", script.read_text(encoding="utf-8"), re.IGNORECASE)
    }
    used = {}
    for app in APPS:
        url = urlsplit(environment(compose, app.service)[f"{app.prefix}DATABASE_URL"])
        database = url.path.lstrip("/")
        assert database not in used, f"{app.service} and {used.get(database)} share the database {database!r}"
        used[database] = app.service
        assert database in created, f"{app.service} uses database {database!r}, which no init script creates"
        assert url.username == postgres["POSTGRES_USER"], f"{app.service}: database user is not POSTGRES_USER"
        assert url.password == postgres["POSTGRES_PASSWORD"], f"{app.service}: password differs from postgres'"


def test_documents_store_in_the_minio_bucket_that_setup_creates(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = next(app for app in APPS if app.service == "documents")
    settings: Any = settings_from(app, environment(compose, "documents"), monkeypatch)
    minio = environment(compose, "minio")
    assert settings.storage_backend == "s3"
    assert settings.s3_endpoint == "minio:9000"
    assert settings.s3_access_key == minio["MINIO_ROOT_USER"], "documents: s3_access_key is not MinIO's user"
    assert settings.s3_secret_key.get_secret_value() == minio["MINIO_ROOT_PASSWORD"], "documents: wrong s3_secret_key"
    assert settings.s3_public_endpoint == "localhost:9000"
    assert any(port.endswith(":9000:9000") or port == "9000:9000" for port in service(compose, "minio")["ports"]), (
        "minio must publish 9000 on the host, where presigned URLs point"
    )
    setup = service(compose, "minio-setup")
    assert depends_on(setup) == {"minio": HEALTHY}
    assert f"mb --ignore-existing bluemap/{settings.s3_bucket}" in command_text(setup), (
        f"minio-setup does not create the bucket {settings.s3_bucket!r}"
    )
    assert depends_on(service(compose, "documents")).get("minio-setup") == COMPLETED


def test_notifications_send_to_mailpit(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app = next(app for app in APPS if app.service == "notifications")
    settings: Any = settings_from(app, environment(compose, "notifications"), monkeypatch)
    assert (settings.smtp_host, settings.smtp_port) == ("mailpit", 1025)
    assert settings.portal_base_url == "http://localhost:8000"
    assert depends_on(service(compose, "notifications")).get("mailpit") == HEALTHY


def test_records_signing_key_comes_from_the_keygen_volume(compose: dict[str, Any]) -> None:
    key_variable = "BLUEMAP_RECORDS_JWT_PRIVATE_KEY_FILE"
    key_file = PurePosixPath(environment(compose, "records")[key_variable])
    keygen = service(compose, "records-keygen")
    assert PurePosixPath(environment(compose, "records-keygen")[key_variable]) == key_file
    assert keygen.get("build") == service(compose, "records").get("build"), "records-keygen must use the records image"
    assert key_variable in command_text(keygen), "records-keygen must write the file records reads"

    records_mounts = volume_mounts(service(compose, "records"))
    keygen_mounts = volume_mounts(keygen)
    key_dir = str(key_file.parent)
    assert key_dir in records_mounts, f"records: nothing mounted at {key_dir}"
    assert key_dir in keygen_mounts, f"records-keygen: nothing mounted at {key_dir}"
    assert records_mounts[key_dir][0] == keygen_mounts[key_dir][0], "records and records-keygen mount different keys"
    assert records_mounts[key_dir][1], "records only reads the key: mount it read-only"
    assert depends_on(service(compose, "records")).get("records-keygen") == COMPLETED


def test_kafka_is_a_single_kraft_node_reachable_as_kafka_9092(compose: dict[str, Any]) -> None:
    kafka = environment(compose, "kafka")
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{kafka['KAFKA_NODE_ID']}@kafka:9093"
    replication = [key for key in kafka if key.endswith("REPLICATION_FACTOR") or key.endswith("MIN_ISR")]
    assert replication, "kafka: set the internal topics' replication factors to 1"
    for key in replication:
        assert kafka[key] == "1", f"kafka: {key} must be 1 on a single node"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", kafka["CLUSTER_ID"]), "kafka: CLUSTER_ID must be a base64url UUID"


# ---------------------------------------------------------------------------------------------- scaling

SCALE_TO = 2  # `docker compose up --scale <service>=2` must find a host port for every replica


def host_ports(entry: str) -> range | None:
    """The host ports a short-syntax port entry may bind; None when Compose picks a free one per container."""
    parts = entry.split("/")[0].split(":")
    if len(parts) == 1:
        return None
    host = parts[-2]
    if not host:  # "127.0.0.1::8101"
        return None
    first, _, last = host.partition("-")
    return range(int(first), int(last or first) + 1)


def test_every_service_built_here_can_be_scaled(compose: dict[str, Any]) -> None:
    """No fixed host port on a scalable service: a second replica would fail to bind it."""
    taken: dict[int, str] = {}
    built = [name for name, definition in compose["services"].items() if definition.get("build")]
    assert {app.service for app in APPS} <= set(built)
    for name in built:
        definition = service(compose, name)
        if is_one_shot(definition):
            continue
        assert "container_name" not in definition, f"{name}: container_name allows a single container"
        for entry in definition.get("ports") or []:
            assert isinstance(entry, str), f"{name}: use the short port syntax: {entry!r}"
            ports = host_ports(entry)
            if ports is None:
                continue
            assert len(ports) >= SCALE_TO, f"{name}: {entry} binds one host port: --scale {name}={SCALE_TO} fails"
            for port in ports:
                assert port not in taken, f"{name} and {taken[port]} both publish host port {port}"
                taken[port] = name


def test_host_port_ranges_start_at_the_documented_addresses(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Browsers reach the first replica at the URLs the settings name."""
    documents = next(app for app in APPS if app.service == "documents")
    settings: Any = settings_from(documents, environment(compose, "documents"), monkeypatch)
    (entry,) = service(compose, "documents")["ports"]
    ports = host_ports(entry)
    assert ports is not None
    assert urlsplit(settings.public_api_url).port == ports[0]
    (portal_entry,) = service(compose, "public-portal")["ports"]
    portal_ports = host_ports(portal_entry)
    assert portal_ports is not None
    assert urlsplit(settings.public_base_url).port == portal_ports[0]


def test_host_ports_parse_as_compose_reads_them() -> None:
    assert host_ports("8101") is None
    assert host_ports("127.0.0.1::8101") is None
    assert host_ports("8101:8101") == range(8101, 8102)
    assert host_ports("127.0.0.1:8000-8009:8100/tcp") == range(8000, 8010)
