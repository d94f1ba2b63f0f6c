"""JSON schemas for kubeconform, from the Kubernetes OpenAPI (swagger 2) spec and from CRDs, without the network.

    python deploy/helm/openapi2jsonschema.py kubernetes <swagger.json> <dir>   # _definitions.json + one file per kind
    python deploy/helm/openapi2jsonschema.py crd <crd.yaml>... <dir>           # one standalone file per CRD version

File names follow kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` (deployment-apps-v1.json,
service-v1.json, scaledobject-keda-v1alpha1.json). The schemas are strict as the API server is with
strict field validation: an object with declared properties accepts no other property. Written here
rather than taken from kubeconform's scripts/openapi2jsonschema.py, which downloads and handles CRDs only.
"""

import json
import sys
from pathlib import Path
from typing import Any

import yaml

DEFINITIONS = "_definitions.json"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


SCHEMA_MAPS = ("properties", "definitions", "patternProperties")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
SCHEMAS = ("items", "additionalProperties", "not")


def strict(schema: Any) -> Any:
    """Closed objects, int-or-string as either, descriptions dropped (they only make the files large)."""
    if not isinstance(schema, dict):
        return schema
    if schema.get("format") == "int-or-string" or schema.get("x-kubernetes-int-or-string") is True:
        return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            converted[key] = {name: strict(sub) for name, sub in value.items()}
        elif key in SCHEMA_LISTS and isinstance(value, list):
            converted[key] = [strict(sub) for sub in value]
        elif key in SCHEMAS:
            converted[key] = [strict(sub) for sub in value] if isinstance(value, list) else strict(value)
        else:
            converted[key] = value
    if (
        "properties" in converted
        and "additionalProperties" not in converted
        and not converted.get("x-kubernetes-preserve-unknown-fields")
    ):
        converted["additionalProperties"] = False
    return converted


def schema_file_name(kind: str, group: str, version: str) -> str:
    """kubeconform's name: kind, then the group's first label (none for the core group), then the version."""
    suffix = f"-{group.split('.')[0]}" if group else ""
    return f"{kind}{suffix}-{version}.json".lower()


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")


def kubernetes(swagger: Path, out: Path) -> int:
    """Every definition in one shared file, and for each kind a file that refers to its definition."""
    spec = json.loads(swagger.read_text(encoding="utf-8"))
    definitions = strict({"definitions": spec["definitions"]})["definitions"]
    # A quantity is a string ("500m", "1Gi") or a bare number (cpu: 1), as kubectl and the API server accept.
    definitions[QUANTITY] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / DEFINITIONS, {"definitions": definitions})
    written = 0
    for name, definition in spec["definitions"].items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            reference = {"$ref": f"{DEFINITIONS}#/definitions/{name}"}
            write_json(out / schema_file_name(gvk["kind"], gvk["group"], gvk["version"]), reference)
            written += 1
    return written


def crds(files: list[Path], out: Path) -> int:
    """One standalone schema per version of each CustomResourceDefinition in the files."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for file in files:
        for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec["versions"]:
                schema = strict(version["schema"]["openAPIV3Schema"])
                write_json(out / schema_file_name(spec["names"]["kind"], spec["group"], version["name"]), schema)
                written += 1
    return written


def main(argv: list[str]) -> None:
    if len(argv) >= 3 and argv[0] == "kubernetes":
        count = kubernetes(Path(argv[1]), Path(argv[2]))
    elif len(argv) >= 3 and argv[0] == "crd":
        count = crds([Path(name) for name in argv[1:-1]], Path(argv[-1]))
    else:
        sys.exit(__doc__)
    print(f"{count} schemas written to {argv[-1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
