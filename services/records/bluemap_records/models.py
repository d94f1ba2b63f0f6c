"""Every table of the records database (what its migrations manage)."""

from bluemap_records.enterprises.models import Enterprise, EnterpriseEmailChange
from bluemap_records.identity.models import LoginFailures, User
from bluemap_records.imports.models import ImportRejection, RecordImport
from bluemap_records.records.models import Record, RecordRevision, RecordStatusChange
from bluemap_shared.messaging.models import MESSAGING_TABLES

TABLES = (
    Enterprise.__table__,  # type: ignore[attr-defined]
    EnterpriseEmailChange.__table__,  # type: ignore[attr-defined]
    Record.__table__,  # type: ignore[attr-defined]
    RecordRevision.__table__,  # type: ignore[attr-defined]
    RecordStatusChange.__table__,  # type: ignore[attr-defined]
    RecordImport.__table__,  # type: ignore[attr-defined]
    ImportRejection.__table__,  # type: ignore[attr-defined]
    User.__table__,  # type: ignore[attr-defined]
    LoginFailures.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
)
# Tables whose rows name no tenant (offboarding leaves them; they expire on their own).
TENANT_FREE = (LoginFailures.__tablename__,)
