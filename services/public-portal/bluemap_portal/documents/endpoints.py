"""Public verification API: no login, the tenant comes from the Host."""

from fastapi import APIRouter, Path

from bluemap_portal.documents import service
from bluemap_portal.documents.schemas import VerificationResult
from bluemap_portal.settings import SettingsDep
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/verify", tags=["verification"])


@router.get("/{code}", response_model=VerificationResult)
async def verify(
    session: SessionDep,
    tenant_id: TenantDep,
    settings: SettingsDep,
    code: str = Path(max_length=128, description="The verification code printed on or published with a document"),
) -> VerificationResult:
    """Whether a verification code matches a public explanation or published document, and which; 404 if none."""
    return await service.verify(session, tenant_id, code, documents_public_base_url=settings.documents_public_base_url)
