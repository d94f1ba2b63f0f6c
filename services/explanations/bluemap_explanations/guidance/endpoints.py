"""The Self Explanations Guide: worked examples per record type and field."""

from fastapi import APIRouter, Query

from bluemap_explanations.commitments.texts import Language
from bluemap_explanations.guidance.examples import GUIDANCE, Guidance
from bluemap_explanations.guidance.schemas import FieldExamples, GuidancePublic
from bluemap_shared.auth import CurrentPrincipal
from bluemap_shared.problems import NotFound

router = APIRouter(prefix="/v1/guidance", tags=["guidance"])


def to_public(guidance: Guidance, language: Language) -> GuidancePublic:
    return GuidancePublic(
        record_type=guidance.record_type,
        label=guidance.label[language],
        language=language,
        examples=FieldExamples(
            violation=guidance.violation[language],
            reasons=guidance.reasons[language],
            corrective_actions=guidance.corrective_actions[language],
        ),
        monitoring={name: texts[language] for name, texts in guidance.monitoring.items()} or None,
    )


@router.get("", response_model=list[GuidancePublic])
async def list_guidance(
    _principal: CurrentPrincipal,
    record_type: str | None = Query(default=None, max_length=64),
    lang: Language = "zh",
) -> list[GuidancePublic]:
    """Examples for every explainable record type, or one; the same for every tenant."""
    if record_type is None:
        return [to_public(g, lang) for g in GUIDANCE.values()]
    guidance = GUIDANCE.get(record_type)
    if guidance is None:
        raise NotFound("No guidance for this record type: it is unknown or not explained.", record_type=record_type)
    return [to_public(guidance, lang)]
