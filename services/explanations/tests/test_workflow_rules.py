"""Unit tests of the pure rules: the explanation state machine, completeness, review shapes, client address."""

from ipaddress import ip_network
from typing import Any

import pytest
from pydantic import ValidationError

from bluemap_explanations.commitments.texts import FIRST_TEXTS, CommitmentKind, text_sha256
from bluemap_explanations.explanations.rules import (
    ExplanationStatus,
    FieldError,
    Step,
    WorkspaceStatus,
    after,
    allowed_from,
    sending_errors,
    workspace_status,
)
from bluemap_explanations.explanations.schemas import ExplanationDraft
from bluemap_explanations.guidance.examples import GUIDANCE
from bluemap_explanations.review.schemas import SubmissionReview
from bluemap_shared.client_ip import client_address

D, S, U, P = (
    ExplanationStatus.DRAFT,
    ExplanationStatus.SUBMITTED,
    ExplanationStatus.UNDER_REVIEW,
    ExplanationStatus.PUBLISHED,
)
COMPLETE = {"violation": "v", "reasons": "r", "corrective_actions": "c"}
MONITORING: dict[str, Any] = {
    "pollutant": "COD",
    "measured_value": "86.5",
    "limit_value": "50",
    "unit": "mg/L",
    "period_start": "2020-07-12T08:00:00+08:00",
    "period_end": "2020-07-12T14:00:00+08:00",
}


@pytest.mark.parametrize(
    ("status", "step", "expected"),
    [
        (D, Step.EDIT, D),
        (D, Step.SEND, S),
        (S, Step.SIGN, U),
        (U, Step.SCAN_REJECTED, S),
        (S, Step.REJECT, D),
        (U, Step.APPROVE, P),
        (U, Step.REJECT, D),
    ],
)
def test_allowed_transitions(status: ExplanationStatus, step: Step, expected: ExplanationStatus) -> None:
    assert after(status, step) is expected


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (S, Step.EDIT),  # editing after sending
        (U, Step.EDIT),
        (P, Step.EDIT),  # editing after publication
        (S, Step.SEND),  # sending twice
        (U, Step.SEND),
        (P, Step.SEND),
        (S, Step.APPROVE),  # approving before the signed scan
        (P, Step.APPROVE),  # approving twice
        (P, Step.REJECT),
        (D, Step.APPROVE),
        (D, Step.REJECT),
        (D, Step.SIGN),
        (U, Step.SIGN),
        (P, Step.SIGN),
        (D, Step.SCAN_REJECTED),
        (S, Step.SCAN_REJECTED),
        (P, Step.SCAN_REJECTED),  # published stays published
    ],
)
def test_refused_transitions(status: ExplanationStatus, step: Step) -> None:
    assert after(status, step) is None


def test_unknown_status_is_refused() -> None:
    assert after("archived", Step.EDIT) is None


def test_allowed_from_matches_the_transitions() -> None:
    assert allowed_from(Step.EDIT) == {D}
    assert allowed_from(Step.SEND) == {D}
    assert allowed_from(Step.SIGN) == {S}
    assert allowed_from(Step.SCAN_REJECTED) == {U}
    assert allowed_from(Step.APPROVE) == {U}
    assert allowed_from(Step.REJECT) == {S, U}
    assert P not in set().union(*(allowed_from(step) for step in Step)), "published is final"


@pytest.mark.parametrize(
    ("status", "decision", "expected"),
    [
        (None, None, WorkspaceStatus.DRAFT),
        ("draft", None, WorkspaceStatus.SAVED),
        ("draft", "rejected", WorkspaceStatus.REJECTED),
        ("submitted", None, WorkspaceStatus.SUBMITTED),
        ("submitted", "rejected", WorkspaceStatus.SUBMITTED),  # sent again after a rejection
        ("under_review", None, WorkspaceStatus.UNDER_REVIEW),
        ("published", "approved", WorkspaceStatus.PUBLISHED),
    ],
)
def test_workspace_status(status: str | None, decision: str | None, expected: WorkspaceStatus) -> None:
    assert workspace_status(status, decision) is expected


def test_nothing_saved_misses_every_field() -> None:
    assert sending_errors("environmental_supervision", None, None) == [
        FieldError("violation", "missing"),
        FieldError("reasons", "missing"),
        FieldError("corrective_actions", "missing"),
    ]


def test_blank_fields_are_named() -> None:
    texts = {**COMPLETE, "reasons": "", "corrective_actions": "  \n"}
    assert sending_errors("accident", texts, None) == [
        FieldError("reasons", "empty"),
        FieldError("corrective_actions", "empty"),
    ]
    assert sending_errors("accident", COMPLETE, None) == []


def test_automated_monitoring_needs_complete_details() -> None:
    assert sending_errors("automated_monitoring", COMPLETE, MONITORING) == []
    assert sending_errors("automated_monitoring", COMPLETE, None) == [FieldError("monitoring", "missing")]
    partial = {**MONITORING, "pollutant": " ", "period_start": None}
    assert sending_errors("automated_monitoring", COMPLETE, partial) == [
        FieldError("monitoring.pollutant", "empty"),
        FieldError("monitoring.period_start", "missing"),
    ]
    backwards = {**MONITORING, "period_end": "2020-07-12T07:00:00+08:00"}
    assert sending_errors("automated_monitoring", COMPLETE, backwards) == [
        FieldError("monitoring.period_end", "before-start")
    ]


def test_other_types_ignore_monitoring() -> None:
    assert sending_errors("environmental_supervision", COMPLETE, None) == []


def test_draft_monitoring_may_be_partial_but_not_backwards() -> None:
    draft = ExplanationDraft.model_validate({**COMPLETE, "monitoring": {"pollutant": " COD "}})
    assert draft.monitoring is not None
    assert (draft.monitoring.pollutant, draft.monitoring.measured_value) == ("COD", "")
    with pytest.raises(ValidationError, match="period_end is before period_start"):
        ExplanationDraft.model_validate(
            {**COMPLETE, "monitoring": {**MONITORING, "period_end": "2020-07-12T07:00:00+08:00"}}
        )
    with pytest.raises(ValidationError, match="single line"):
        ExplanationDraft.model_validate({**COMPLETE, "monitoring": {"pollutant": "a\nb"}})
    with pytest.raises(ValidationError, match="timezone"):
        ExplanationDraft.model_validate({**COMPLETE, "monitoring": {"period_start": "2020-07-12T08:00:00"}})


def test_a_rejection_needs_a_comment_an_approval_does_not() -> None:
    eid, scan = "0190f5a8-0000-7000-8000-000000000001", "0190f5a8-0000-7000-8000-000000000002"
    review = SubmissionReview.model_validate(
        {
            "explanations": [{"explanation_id": eid, "decision": "rejected", "comment": " 请补充整改照片 "}],
            "scan": {"document_id": scan, "decision": "approved", "comment": "  "},
        }
    )
    assert review.explanations[0].comment == "请补充整改照片"
    assert review.scan is not None
    assert review.scan.comment is None
    for bad in ({}, {"comment": ""}, {"comment": " \n "}):
        with pytest.raises(ValidationError, match="rejection says why"):
            SubmissionReview.model_validate({"explanations": [{"explanation_id": eid, "decision": "rejected", **bad}]})
        with pytest.raises(ValidationError, match="rejection says why"):
            SubmissionReview.model_validate(
                {
                    "explanations": [{"explanation_id": eid, "decision": "approved"}],
                    "scan": {"document_id": scan, "decision": "rejected", **bad},
                }
            )
    with pytest.raises(ValidationError):
        SubmissionReview.model_validate({"explanations": []})


PROXIES = [ip_network("10.0.0.0/8"), ip_network("fd00::/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", [], "203.0.113.7"),
        # Anyone may send the header: from an untrusted peer it is ignored.
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # A client forging a hop before the proxy's: the proxy appended the real address last.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["198.51.100.1, 10.0.0.9"], "198.51.100.1"),
        ("10.0.0.2", ["198.51.100.1", "10.0.0.9"], "198.51.100.1"),
        ("10.0.0.2", ["not-an-address"], "10.0.0.2"),
        ("10.0.0.2", ["10.0.0.3"], "10.0.0.3"),
        ("fd00::1", ["2001:db8::5"], "2001:db8::5"),
        ("10.0.0.2", [], "10.0.0.2"),
        (None, ["198.51.100.1"], None),
        ("testclient", ["198.51.100.1"], "testclient"),
    ],
)
def test_client_address(peer: str | None, forwarded: list[str], expected: str | None) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("10.0.0.2", ["198.51.100.1"], []) == "10.0.0.2"


def test_first_commitments_are_the_walkthroughs_in_both_languages() -> None:
    assert FIRST_TEXTS[CommitmentKind.ACCURACY]["en"] == (
        "We guarantee that all information provided is genuine and accurate. "
        "We acknowledge that the information will be disclosed to the public."
    )
    assert FIRST_TEXTS[CommitmentKind.DEADLINE]["en"].endswith("make public explanations within 10 working days.")
    assert "10个工作日" in FIRST_TEXTS[CommitmentKind.DEADLINE]["zh"]
    assert "真实、准确" in FIRST_TEXTS[CommitmentKind.ACCURACY]["zh"]
    assert text_sha256("承诺") == "a2335f3879b766e8ae45ece631da26cc027e38a5ed4767de875682264f2fefbf"


EXPLAINABLE = {
    "environmental_supervision",
    "rectification_order",
    "cleaner_production_audit",
    "environmental_credit_rating",
    "production_restriction",
    "performance_grading",
    "environmental_accident_risk",
    "accident",
    "safety_supervision",
    "inspection_report",
    "automated_monitoring",
}


def test_guidance_covers_every_explainable_type_in_both_languages() -> None:
    assert set(GUIDANCE) == EXPLAINABLE
    for guidance in GUIDANCE.values():
        for texts in (guidance.label, guidance.violation, guidance.reasons, guidance.corrective_actions):
            assert set(texts) == {"zh", "en"}
            assert all(t.strip() for t in texts.values())
    assert set(GUIDANCE["automated_monitoring"].monitoring) >= {"pollutant", "measured_value", "limit_value", "unit"}
