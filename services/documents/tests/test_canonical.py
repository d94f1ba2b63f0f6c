"""Unit tests of document numbers and the verification code: canonical content, stable, complete."""

import json
import re
import unicodedata
from datetime import date, timedelta, timezone
from uuid import UUID, uuid4

from documents_testing import submitted

from bluemap_documents.submissions.canonical import (
    canonical_content,
    canonical_json,
    document_number,
    verification_code,
)

SUBMISSION = UUID("0190f5a2-0000-7000-8000-000000000001")


def test_document_numbers_are_stable_and_readable() -> None:
    number = document_number("ipe", SUBMISSION, date(2026, 3, 2))
    assert re.fullmatch(r"BM-IPE-20260302-[0-9A-HJKMNP-TV-Z]{6}", number)
    assert number == document_number("ipe", SUBMISSION, date(2026, 3, 2))
    assert number != document_number("ipe", uuid4(), date(2026, 3, 2))
    assert document_number("shaanxi-ngo_1", SUBMISSION, date(2026, 3, 2)).startswith("BM-SHAANXINGO1-20260302-")
    assert document_number("--", SUBMISSION, date(2026, 3, 2)).startswith("BM-X-")


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["企业", None]}) == '{"a":["企业",null],"b":1}'.encode()


def test_the_code_covers_what_the_document_states() -> None:
    event = submitted(uuid4())
    number = document_number("ipe", event.submission_id, date(2026, 3, 2))
    code = verification_code(canonical_content(event, number))
    assert re.fullmatch(r"[0-9a-f]{64}", code)
    assert json.loads(canonical_json(canonical_content(event, number)))["enterprise"]["name"] == event.enterprise.name

    first = event.explanations[0]
    changed = [
        event.model_copy(update={"language": "en"}),
        event.model_copy(update={"enterprise": event.enterprise.model_copy(update={"uscc": "91610100MA6TG7XQ4K"})}),
        event.model_copy(
            update={
                "explanations": [first.model_copy(update={"reasons": first.reasons + "。"}), *event.explanations[1:]]
            }
        ),
        event.model_copy(
            update={
                "commitments": [
                    event.commitments[0].model_copy(
                        update={"accepted_at": event.commitments[0].accepted_at + timedelta(seconds=1)}
                    ),
                    *event.commitments[1:],
                ]
            }
        ),
    ]
    for other in changed:
        assert verification_code(canonical_content(other, number)) != code
    assert verification_code(canonical_content(event, number + "X")) != code


def test_the_code_ignores_what_the_document_does_not_state() -> None:
    event = submitted(uuid4())
    number = "BM-IPE-20260302-ABCDEF"
    code = verification_code(canonical_content(event, number))
    same = [
        event.model_copy(update={"submitted_by": "someone-else"}),
        event.model_copy(
            update={"explanations": [e.model_copy(update={"explanation_id": uuid4()}) for e in event.explanations]}
        ),
        event.model_copy(update={"commitments": list(reversed(event.commitments))}),
        # The same instant written in another zone.
        event.model_copy(update={"submitted_at": event.submitted_at.astimezone(timezone(timedelta(hours=8)))}),
        # The same words in another Unicode normalisation form.
        event.model_copy(
            update={"enterprise": event.enterprise.model_copy(update={"name": unicodedata.normalize("NFD", "Café")})}
        ),
    ]
    for index, other in enumerate(same[:4]):
        assert verification_code(canonical_content(other, number)) == code, index
    nfc = event.model_copy(update={"enterprise": event.enterprise.model_copy(update={"name": "Café"})})
    assert verification_code(canonical_content(same[4], number)) == verification_code(canonical_content(nfc, number))
