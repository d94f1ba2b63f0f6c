"""Commitment use cases; the caller's transaction commits them."""

from collections.abc import Iterable
from typing import cast
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.commitments.models import Answer, CommitmentResponse, CommitmentText
from bluemap_explanations.commitments.repository import CommitmentRepository
from bluemap_explanations.commitments.schemas import CommitmentVersionCreate
from bluemap_explanations.commitments.texts import (
    FIRST_TEXTS,
    LANGUAGES,
    CommitmentKind,
    KindName,
    Language,
    text_sha256,
)
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import CommitmentAccepted, CommitmentReference
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, Problem

SEEDED_BY = "bluemap"


class CommitmentRequired(Problem):
    status = 409
    type = "commitment-required"
    title = "Commitment required"


class CommitmentOutdated(Problem):
    status = 409
    type = "commitment-outdated"
    title = "Commitment outdated"


async def current_version(session: AsyncSession, tenant_id: str, kind: CommitmentKind) -> int:
    """The version in force; a tenant's first use publishes version 1 of every commitment."""
    repository = CommitmentRepository(session)
    version = await repository.current_version(tenant_id, kind)
    if version is None:
        await _seed(session, tenant_id)
        version = await repository.current_version(tenant_id, kind)
    assert version is not None, "seeding publishes version 1"
    return version


async def _seed(session: AsyncSession, tenant_id: str) -> None:
    # Tenants appear with their first token, so their texts are published on first use; a
    # concurrent first use inserts nothing (ON CONFLICT DO NOTHING) and reads the winner's rows.
    repository = CommitmentRepository(session)
    now = utcnow()
    for kind, texts in FIRST_TEXTS.items():
        for language, text in texts.items():
            await repository.insert_text(
                {
                    "id": uuid7(),
                    "tenant_id": tenant_id,
                    "kind": kind.value,
                    "version": 1,
                    "language": language,
                    "text": text,
                    "text_sha256": text_sha256(text),
                    "published_by": SEEDED_BY,
                    "published_at": now,
                }
            )


async def current_text(
    session: AsyncSession, tenant_id: str, kind: CommitmentKind, language: Language
) -> CommitmentText:
    """The text in force of one commitment in one language."""
    version = await current_version(session, tenant_id, kind)
    text = await CommitmentRepository(session).text(tenant_id, kind, version, language)
    assert text is not None, "every version is published in every language"
    return text


async def publish_version(
    session: AsyncSession, tenant_id: str, kind: CommitmentKind, data: CommitmentVersionCreate, *, published_by: str
) -> list[CommitmentText]:
    """Put a new version of a commitment in force; every enterprise must accept it anew."""
    repository = CommitmentRepository(session)
    version = await current_version(session, tenant_id, kind) + 1
    now = utcnow()
    texts: dict[Language, str] = {"zh": data.zh, "en": data.en}
    for language in LANGUAGES:
        inserted = await repository.insert_text(
            {
                "id": uuid7(),
                "tenant_id": tenant_id,
                "kind": kind.value,
                "version": version,
                "language": language,
                "text": texts[language],
                "text_sha256": text_sha256(texts[language]),
                "published_by": published_by,
                "published_at": now,
            }
        )
        if not inserted:
            raise Conflict("Another version of this commitment was published meanwhile; reload it.", version=version)
    published = [await repository.text(tenant_id, kind, version, language) for language in LANGUAGES]
    return [text for text in published if text is not None]


async def answer(
    session: AsyncSession,
    tenant_id: str,
    enterprise_id: UUID,
    kind: CommitmentKind,
    *,
    version: int,
    language: Language,
    accepted: bool,
    responded_by: str,
    client_ip: str | None,
) -> CommitmentResponse:
    """Record an Accept (CommitmentAccepted) or a Decline (evidence only) of the version in force."""
    current = await current_text(session, tenant_id, kind, language)
    if version != current.version:
        # The user read another text than the one in force: their answer is not to this text.
        raise CommitmentOutdated(
            f"Version {version} of this commitment is not in force; read version {current.version}.",
            kind=kind.value,
            current_version=current.version,
        )
    response = CommitmentResponse(
        tenant_id=tenant_id,
        enterprise_id=enterprise_id,
        kind=kind.value,
        version=current.version,
        language=language,
        text_sha256=current.text_sha256,
        answer=Answer.ACCEPTED if accepted else Answer.DECLINED,
        responded_by=responded_by,
        client_ip=client_ip,
    )
    CommitmentRepository(session).add_response(response)
    await session.flush()
    if accepted:
        emit(
            session,
            CommitmentAccepted(
                acceptance_id=response.id,
                enterprise_id=enterprise_id,
                commitment=reference(response, current),
            ),
            tenant_id=tenant_id,
        )
    return response


def reference(response: CommitmentResponse, text: CommitmentText) -> CommitmentReference:
    """The commitment as the enterprise accepted it, for events."""
    return CommitmentReference(
        kind=cast(KindName, response.kind),
        version=response.version,
        language=cast(Language, response.language),
        text=text.text,
        text_sha256=response.text_sha256,
        accepted_by=response.responded_by,
        accepted_at=response.responded_at,
    )


async def standing(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, kind: CommitmentKind
) -> CommitmentResponse | None:
    """The enterprise's latest answer to the version in force."""
    version = await current_version(session, tenant_id, kind)
    return await CommitmentRepository(session).latest_response(tenant_id, enterprise_id, kind, version)


async def require_accepted(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, kinds: Iterable[CommitmentKind]
) -> dict[CommitmentKind, CommitmentResponse]:
    """The acceptances in force of every kind; CommitmentRequired names those missing or declined last."""
    accepted: dict[CommitmentKind, CommitmentResponse] = {}
    missing: list[CommitmentKind] = []
    for kind in kinds:
        latest = await standing(session, tenant_id, enterprise_id, kind)
        if latest is not None and latest.answer == Answer.ACCEPTED:
            accepted[kind] = latest
        else:
            missing.append(kind)
    if missing:
        raise CommitmentRequired(
            f"Accept the current {' and '.join(k.value for k in missing)} commitment first.",
            kinds=[k.value for k in missing],
        )
    return accepted


async def texts_of(
    session: AsyncSession, tenant_id: str, responses: Iterable[CommitmentResponse]
) -> dict[UUID, CommitmentText]:
    """The text each response answered."""
    repository = CommitmentRepository(session)
    found: dict[UUID, CommitmentText] = {}
    for response in responses:
        text = await repository.text(tenant_id, response.kind, response.version, response.language)
        if text is not None:
            found[response.id] = text
    return found
