"""The open datasets and their data dictionary: one definition the files, the Data page and the catalog read."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, func, select

from bluemap_portal.documents.models import PortalDocument
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.explanations.models import PortalExplanation
from bluemap_portal.records.models import PortalRecord

ENTERPRISES: Table = PortalEnterprise.__table__  # type: ignore[attr-defined]
RECORDS: Table = PortalRecord.__table__  # type: ignore[attr-defined]
EXPLANATIONS: Table = PortalExplanation.__table__  # type: ignore[attr-defined]
DOCUMENTS: Table = PortalDocument.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Field:
    """One column of a dataset: its name in the files, its type, and what it means (en, zh)."""

    name: str
    type: str  # string, integer, date, datetime, uuid, json (in CSV: JSON text)
    en: str
    zh: str


@dataclass(frozen=True)
class Dataset:
    """A public dataset of one tenant: which rows, which columns, and how to tell that it changed."""

    name: str
    title_en: str
    title_zh: str
    table: Table
    fields: tuple[Field, ...]
    # A cheap summary of the tenant's rows; a different value means the files must be made again.
    fingerprint: Callable[[Table], tuple[Any, ...]]

    def rows(self, tenant_id: str) -> Select[Any]:
        """The tenant's public rows, in a stable order (so unchanged data gives identical files)."""
        query = select(*(self.table.c[f.name] for f in self.fields)).where(self.table.c.tenant_id == tenant_id)
        if "retracted_at" in self.table.c:
            query = query.where(self.table.c.retracted_at.is_(None))
        return query.order_by(self.table.c.id)

    def changes(self, tenant_id: str) -> Select[Any]:
        query = select(*self.fingerprint(self.table)).where(self.table.c.tenant_id == tenant_id)
        return query


ID = Field("id", "uuid", "Identifier, stable across files and the API", "标识符，在文件和 API 中保持不变")
ENTERPRISE_ID = Field("enterprise_id", "uuid", "The enterprise (enterprises.id)", "企业（enterprises.id）")
PUBLISHED_AT = Field("published_at", "datetime", "When it became public (UTC)", "公开时间（UTC）")

DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            "enterprises",
            "Enterprises",
            "企业",
            ENTERPRISES,
            (
                ID,
                Field("uscc", "string", "Unified Social Credit Code", "统一社会信用代码"),
                Field("name", "string", "Registered name", "企业名称"),
                Field("name_en", "string", "English name, when known", "英文名称（如有）"),
                Field("region_code", "string", "Administrative division code (GB/T 2260)", "行政区划代码（GB/T 2260）"),
                Field("updated_at", "datetime", "Last change (UTC)", "最后更新时间（UTC）"),
            ),
            lambda t: (func.count(), func.max(t.c.updated_at)),
        ),
        Dataset(
            "records",
            "Government records",
            "政府监管记录",
            RECORDS,
            (
                ID,
                ENTERPRISE_ID,
                Field("record_type", "string", "Category of the record", "记录类别"),
                Field("year", "integer", "Year of the record", "年份"),
                Field("source_title", "string", "Title of the government document", "政府文件标题"),
                Field("issuing_authority", "string", "Authority that issued it", "发布机关"),
                Field("issued_on", "date", "Date of issue", "发布日期"),
                Field("source_url", "string", "Where the authority published it", "原文链接"),
                Field("summary", "string", "Summary of the finding", "问题摘要"),
                Field("status", "string", "Lifecycle status (published, resolved, ...)", "状态（已公开、已整改等）"),
                Field("explanation_due_on", "date", "Deadline of the enterprise's explanation", "企业说明截止日期"),
                PUBLISHED_AT,
                Field("revision", "integer", "Content revision (0 as first published)", "内容修订次数（首次公开为 0）"),
                Field("status_changed_at", "datetime", "Last status change (UTC)", "状态最后变更时间（UTC）"),
            ),
            lambda t: (
                func.count(),
                func.coalesce(func.sum(t.c.revision), 0),
                func.max(t.c.published_at),
                func.max(t.c.status_changed_at),
                func.max(t.c.retracted_at),
            ),
        ),
        Dataset(
            "explanations",
            "Enterprises' public explanations",
            "企业公开说明",
            EXPLANATIONS,
            (
                ID,
                Field("record_id", "uuid", "The record explained (records.id)", "所说明的记录（records.id）"),
                ENTERPRISE_ID,
                Field("submission_id", "uuid", "The submission it was sent in", "所属提交"),
                Field("violation", "string", "The violation, as the enterprise states it", "企业对违规情况的说明"),
                Field("reasons", "string", "Its reasons", "原因"),
                Field("corrective_actions", "string", "Corrective actions taken", "整改措施"),
                Field("monitoring", "json", "Monitoring details, when given", "监测情况（如有）"),
                PUBLISHED_AT,
            ),
            lambda t: (func.count(), func.max(t.c.published_at)),
        ),
        Dataset(
            "documents",
            "Published documents (metadata)",
            "已公开文件（元数据）",
            DOCUMENTS,
            (
                ID,
                ENTERPRISE_ID,
                Field("kind", "string", "Kind: signed explanation, supporting document", "类型：盖章说明、证明材料"),
                Field("category", "string", "Category of a supporting document", "证明材料类别"),
                Field("record_ids", "json", "Records it is listed under", "所属记录"),
                Field("submission_id", "uuid", "The submission, for a signed explanation", "所属提交（盖章说明）"),
                Field("filename", "string", "File name", "文件名"),
                Field("content_type", "string", "Media type", "媒体类型"),
                Field("size", "integer", "Size in bytes", "大小（字节）"),
                Field("sha256", "string", "SHA-256 of the file", "文件 SHA-256"),
                PUBLISHED_AT,
            ),
            lambda t: (func.count(), func.max(t.c.published_at)),
        ),
    )
}

FORMATS = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
