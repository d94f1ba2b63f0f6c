"""Unit tests of the pure rules: draft text bounds and who may read an enterprise's explanations."""

import pytest
from pydantic import ValidationError

from bluemap_explanations.explanations.drafts import nothing_written
from bluemap_explanations.explanations.schemas import MAX_TEXT_LENGTH, ExplanationDraft


def draft(**fields: str) -> ExplanationDraft:
    return ExplanationDraft.model_validate({"violation": "", "reasons": "", "corrective_actions": "", **fields})


def test_draft_text_is_trimmed_and_may_be_empty() -> None:
    saved = draft(violation="  废水超标排放 \n", reasons="")
    assert saved.violation == "废水超标排放"
    assert saved.reasons == ""


def test_limit_counts_the_trimmed_text() -> None:
    assert len(draft(violation="  " + "污" * MAX_TEXT_LENGTH + "\n\n").violation) == MAX_TEXT_LENGTH
    with pytest.raises(ValidationError, match="at most 5000 characters"):
        draft(violation="污" * (MAX_TEXT_LENGTH + 1))


def test_crlf_counts_as_one_character() -> None:
    lines = MAX_TEXT_LENGTH // 2 - 1
    saved = draft(corrective_actions="a\r\n" * lines + "b").corrective_actions
    assert saved == "a\n" * lines + "b"
    assert len(saved) < MAX_TEXT_LENGTH < len("a\r\n" * lines)


@pytest.mark.parametrize("bad", ["\x00", "a\x07b", "\x1b[31m", "\x7f"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        draft(reasons=bad)


def test_tabs_and_newlines_are_text() -> None:
    assert draft(reasons="第一\t步\n第二步").reasons == "第一\t步\n第二步"


def test_every_field_is_required() -> None:
    with pytest.raises(ValidationError):
        ExplanationDraft.model_validate({"violation": "x"})


def test_a_draft_of_blank_fields_holds_nothing() -> None:
    assert nothing_written(draft(violation=" \r\n", reasons="\t"))
    assert nothing_written(ExplanationDraft.model_validate({**draft().model_dump(), "monitoring": {}}))
    assert not nothing_written(draft(corrective_actions="更换设备"))
    with_unit = ExplanationDraft.model_validate({**draft().model_dump(), "monitoring": {"unit": "mg/L"}})
    assert not nothing_written(with_unit)
