"""The services' Dockerfiles and lock files checked without Docker: pinned base, locked dependencies, non-root."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
SERVICES = {
    "records": ("bluemap_records", 8101),
    "explanations": ("bluemap_explanations", 8102),
    "documents": ("bluemap_documents", 8103),
    "notifications": ("bluemap_notifications", 8104),
    "public-portal": ("bluemap_portal", 8100),
}
LOCAL_PACKAGES = {"bluemap-shared", "bluemap-records", "bluemap-explanations", "bluemap-documents"}
LOCAL_PACKAGES |= {"bluemap-notifications", "bluemap-portal"}
by_service = pytest.mark.parametrize("service", sorted(SERVICES))
PINNED_BASE = re.compile(r"^ARG PYTHON_IMAGE=python:3\.11-slim@sha256:[0-9a-f]{64}$", re.MULTILINE)
LOCKED = re.compile(r"^([A-Za-z0-9_.\-\[\],]+)==(\S+) \\$", re.MULTILINE)


def dockerfile(service: str) -> str:
    return (REPO / "services" / service / "Dockerfile").read_text(encoding="utf-8")


def instructions(text: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def locked(service: str) -> dict[str, str]:
    text = (REPO / "services" / service / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(re.sub(r"\[.*\]", "", name)): version for name, version in LOCKED.findall(text)}


def declared(pyproject: Path) -> set[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    names = {canonicalize_name(Requirement(spec).name) for spec in project.get("dependencies", [])}
    return names - LOCAL_PACKAGES


def test_every_image_uses_the_same_digest_pinned_base() -> None:
    bases = {service: PINNED_BASE.findall(dockerfile(service)) for service in SERVICES}
    for service, found in bases.items():
        assert len(found) == 1, f"services/{service}/Dockerfile: pin python:3.11-slim@sha256:<digest> in one ARG"
    assert len({found[0] for found in bases.values()}) == 1, "the images' bases differ"


@by_service
def test_image_is_multi_stage_on_the_pinned_base(service: str) -> None:
    steps = instructions(dockerfile(service))
    stages = [step for step in steps if step.startswith("FROM ")]
    assert stages == ["FROM ${PYTHON_IMAGE} AS build", "FROM ${PYTHON_IMAGE}"], stages
    assert "COPY --from=build /opt/venv /opt/venv" in steps


@by_service
def test_dependencies_come_from_the_lock_with_hashes_and_nothing_else(service: str) -> None:
    steps = instructions(dockerfile(service))
    installs = [step for step in steps if step.startswith("RUN pip install")]
    assert installs[0] == "RUN pip install --require-hashes --only-binary=:all: -r /tmp/requirements.lock"
    assert f"COPY services/{service}/requirements.lock /tmp/requirements.lock" in steps
    assert all("--no-deps" in step for step in installs[1:]), f"{service}: an install outside the lock: {installs}"


@by_service
def test_lock_pins_every_dependency_with_hashes(service: str) -> None:
    text = (REPO / "services" / service / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=\S)", text.strip())
    packages = [entry for entry in entries if not entry.startswith("#")]
    assert packages, f"{service}: empty lock"
    for entry in packages:
        assert re.match(r"^[A-Za-z0-9_.\-\[\],]+==\S+ \\\n", entry), f"{service}: not pinned: {entry[:80]}"
        assert "--hash=sha256:" in entry, f"{service}: no hash: {entry[:80]}"
    versions = locked(service)
    wanted = declared(REPO / "shared" / "pyproject.toml") | declared(REPO / "services" / service / "pyproject.toml")
    missing = wanted - set(versions)
    assert not missing, f"{service}: {sorted(missing)} missing from the lock: run bash deploy/docker/lock.sh"
    assert not set(versions) & LOCAL_PACKAGES, f"{service}: the local packages come from the build context"


@by_service
def test_image_runs_as_a_numeric_non_root_user_with_a_healthcheck(service: str) -> None:
    package, port = SERVICES[service]
    steps = instructions(dockerfile(service))
    runtime = steps[steps.index("FROM ${PYTHON_IMAGE}") :]
    users = [step for step in runtime if step.startswith("USER ")]
    assert users == ["USER 10001:10001"], users
    healthchecks = [step for step in runtime if step.startswith("HEALTHCHECK ")]
    assert len(healthchecks) == 1, f"{service}: one HEALTHCHECK"
    assert f"http://127.0.0.1:{port}/api/{service}/healthz" in healthchecks[0]
    assert runtime[-1] == f'CMD ["python", "-m", "{package}", "serve", "--host", "0.0.0.0"]'
