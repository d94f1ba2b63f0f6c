"""/data: the tenant's open-data files, their dictionary, and a DCAT catalog that lists them."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from bluemap_portal.opendata.builder import Manifest, OpenDataBuilder
from bluemap_portal.opendata.dictionary import DATASETS, FORMATS
from bluemap_portal.settings import PortalSettings, SettingsDep
from bluemap_portal.site.i18n import gettext
from bluemap_portal.site.rendering import SITE_NAME, page_language, render
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.problems import NotFound

router = APIRouter()

GZIP = "application/gzip"


def builder_of(request: Request) -> OpenDataBuilder:
    builder: OpenDataBuilder = request.app.state.open_data
    return builder


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/data", include_in_schema=False)
async def data_page(request: Request, tenant_id: TenantDep, settings: SettingsDep) -> Response:
    """The Data page: every dataset with its files, checksums and dictionary, and the licence."""
    manifest = builder_of(request).manifest(tenant_id)
    return render(
        request,
        "data.html",
        datasets=list(DATASETS.values()),
        manifest=manifest,
        licence=settings.open_data_licence_of(tenant_id),
    )


@router.get("/data/dictionary.json", include_in_schema=False)
async def dictionary() -> JSONResponse:
    """The data dictionary: each dataset's columns, types and meanings (en, zh)."""
    return JSONResponse(
        {
            name: {
                "title": {"en": dataset.title_en, "zh": dataset.title_zh},
                "fields": [
                    {"name": f.name, "type": f.type, "description": {"en": f.en, "zh": f.zh}} for f in dataset.fields
                ],
            }
            for name, dataset in DATASETS.items()
        }
    )


@router.get("/data/catalog.json", include_in_schema=False)
async def catalog(request: Request, tenant_id: TenantDep, settings: SettingsDep) -> JSONResponse:
    """A DCAT catalog (JSON-LD) of the tenant's datasets and their distributions."""
    manifest = builder_of(request).manifest(tenant_id)
    return JSONResponse(dcat_catalog(manifest, settings, tenant_id, _base(request), page_language(request)))


def dcat_catalog(
    manifest: Manifest | None, settings: PortalSettings, tenant_id: str, base: str, lang: str
) -> dict[str, Any]:
    licence = f"https://spdx.org/licenses/{settings.open_data_licence_of(tenant_id)}"
    datasets = []
    for name, dataset in DATASETS.items():
        files = [manifest.file(name, fmt) for fmt in FORMATS] if manifest else []
        made = [f for f in files if f is not None]
        datasets.append(
            {
                "@type": "dcat:Dataset",
                "@id": f"{base}/data#{name}",
                "dct:identifier": f"{tenant_id}:{name}",
                "dct:title": [
                    {"@language": "en", "@value": dataset.title_en},
                    {"@language": "zh", "@value": dataset.title_zh},
                ],
                "dct:license": {"@id": licence},
                "dct:modified": max((f.generated_at for f in made), default=None),
                "dcat:distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "dcat:downloadURL": {"@id": f"{base}/data/{f.name}"},
                        "dcat:mediaType": FORMATS[f.format],
                        "dcat:compressFormat": GZIP,
                        "dcat:byteSize": f.bytes,
                        "spdx:checksum": {
                            "@type": "spdx:Checksum",
                            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                            "spdx:checksumValue": f.sha256,
                        },
                        "dct:license": {"@id": licence},
                        "dct:conformsTo": {"@id": f"{base}/data/dictionary.json"},
                    }
                    for f in made
                ],
            }
        )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "spdx": "http://spdx.org/rdf/terms#",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@type": "dcat:Catalog",
        "@id": f"{base}/data/catalog.json",
        "dct:title": gettext(lang, SITE_NAME),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": tenant_id},
        "dct:license": {"@id": licence},
        "dcat:dataset": datasets,
    }


@router.get("/data/{name}", include_in_schema=False)
async def download(request: Request, name: str, tenant_id: TenantDep) -> Response:
    """One file, whole, with its checksum as ETag; 404 for a name no dataset has."""
    manifest = builder_of(request).manifest(tenant_id)
    made = next((f for f in manifest.files if f.name == name), None) if manifest else None
    if made is None:
        raise NotFound("No such open-data file.")
    etag = f'"{made.sha256}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return FileResponse(
        builder_of(request).folder(tenant_id) / made.name,
        media_type=GZIP,
        filename=made.name,
        headers={"ETag": etag, "Cache-Control": "public, max-age=300"},
    )
