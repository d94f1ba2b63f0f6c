"""Render the chart with each value set in deploy/helm/bluemap/ci/ and validate it against the Kubernetes schemas.

    python deploy/helm/validate.py          # what `make test` runs through tests/deploy/test_helm_chart.py

First use builds helm and kubeconform with `go install` and downloads the k8s.io/kubernetes module
(its api/openapi-spec/swagger.json, checked against the Go checksum database) from the Go module
proxy, all into <repo>/.cache like deploy/local/servers.sh; kubeconform's own schema download
(GitHub) is never used. The KEDA schemas are vendored in deploy/helm/schemas/keda.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "bluemap"
VALUE_SETS = sorted((CHART / "ci").glob("*-values.yaml"))
VENDORED_SCHEMAS = REPO / "deploy" / "helm" / "schemas"
CACHE = Path(os.environ.get("BLUEMAP_CACHE_DIR", REPO / ".cache")).resolve()
BIN = CACHE / "bin"
GO_ROOT = CACHE / "go"

HELM = ("helm.sh/helm/v4/cmd/helm", "v4.3.2")
KUBECONFORM = ("github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0")
KUBERNETES_MODULE = "k8s.io/kubernetes"
KUBERNETES_VERSION = "1.37.2"  # the Kubernetes helm v4.3.2 is built against (k8s.io/api v0.37.2)
SCHEMAS = CACHE / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}"
RELEASE = "bluemap"


def go(*args: str) -> str:
    """Go with every directory in the cache, so nothing lands in ~/go or ~/.cache."""
    env = {
        **os.environ,
        "GOPATH": str(GO_ROOT),
        "GOMODCACHE": str(GO_ROOT / "pkg" / "mod"),
        "GOCACHE": str(GO_ROOT / "build-cache"),
        "GOBIN": str(BIN),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod -modcacherw",
    }
    return subprocess.run(["go", *args], env=env, check=True, capture_output=True, text=True).stdout


def tool(package: str, version: str) -> Path:
    """The binary of package at version, built on first use (a version change rebuilds it)."""
    binary = BIN / package.rsplit("/", 1)[-1]
    if binary.is_file():
        built = go("version", "-m", str(binary))
        if any(line.split()[:3] == ["mod", package.split("/cmd/")[0], version] for line in built.splitlines()):
            return binary
    print(f"building {package}@{version} (first use only)", file=sys.stderr)
    go("install", f"{package}@{version}")
    return binary


def kubernetes_schemas() -> Path:
    """JSON schemas of every built-in kind, generated from the release's OpenAPI spec."""
    stamp = SCHEMAS / ".complete"
    if not stamp.is_file():
        module = json.loads(go("mod", "download", "-json", f"{KUBERNETES_MODULE}@v{KUBERNETES_VERSION}"))
        swagger = Path(module["Dir"]) / "api" / "openapi-spec" / "swagger.json"
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("openapi2jsonschema.py")), "kubernetes", swagger, SCHEMAS],
            check=True,
            capture_output=True,
        )
        stamp.touch()
    return SCHEMAS


def render(values: Path) -> str:
    """helm lint, then helm template, of the chart with one value set."""
    helm = tool(*HELM)
    subprocess.run([helm, "lint", "--strict", CHART, "-f", values], check=True, capture_output=True, text=True)
    return subprocess.run(
        [helm, "template", RELEASE, CHART, "-f", values, "--kube-version", KUBERNETES_VERSION],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def kubeconform(manifests: str) -> subprocess.CompletedProcess[str]:
    """Every resource against its schema; a kind without one is an error, never skipped."""
    schemas = kubernetes_schemas()
    kind_file = "{{ .ResourceKind }}{{ .KindSuffix }}.json"
    return subprocess.run(
        [
            tool(*KUBECONFORM),
            "-strict",
            "-summary",
            "-verbose",
            "-kubernetes-version",
            KUBERNETES_VERSION,
            "-schema-location",
            f"{schemas}/{kind_file}",
            "-schema-location",
            f"{VENDORED_SCHEMAS}/keda/{kind_file}",
            "-",
        ],
        input=manifests,
        capture_output=True,
        text=True,
    )


def main() -> int:
    failed = False
    for values in VALUE_SETS:
        result = kubeconform(render(values))
        print(f"== {values.relative_to(REPO)}\n{result.stdout}{result.stderr}")
        failed |= result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
