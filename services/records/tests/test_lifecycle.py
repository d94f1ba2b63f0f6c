"""The record lifecycle as a pure state machine."""

import pytest

from bluemap_records.records.lifecycle import (
    TRANSITIONS,
    IllegalTransition,
    RecordStatus,
    Trigger,
    initial_status,
    next_status,
)

S = RecordStatus
T = Trigger


def test_records_start_awaiting_an_explanation_or_simply_published() -> None:
    assert initial_status(explainable=True) == S.AWAITING_EXPLANATION
    assert initial_status(explainable=False) == S.PUBLISHED


def test_the_walkthrough_path_from_publication_to_restoration() -> None:
    status = initial_status(explainable=True)
    path = [status]
    for trigger in (T.EXPLANATION_SUBMITTED, T.SUBMISSION_SIGNED, T.SUBMISSION_PUBLISHED, T.RESOLVE, T.RESTORE):
        status = next_status(status, trigger)
        path.append(status)
    assert path == [
        S.AWAITING_EXPLANATION,
        S.EXPLANATION_SUBMITTED,
        S.UNDER_REVIEW,
        S.EXPLAINED,
        S.RESOLVED,
        S.RESTORED,
    ]
    # A restored record is explained again.
    assert next_status(S.RESTORED, T.EXPLANATION_SUBMITTED) == S.EXPLANATION_SUBMITTED


@pytest.mark.parametrize("current", [S.EXPLANATION_SUBMITTED, S.UNDER_REVIEW])
def test_a_rejected_explanation_sends_the_record_back(current: RecordStatus) -> None:
    assert next_status(current, T.EXPLANATION_REJECTED) == S.AWAITING_EXPLANATION


@pytest.mark.parametrize("current", [S.EXPLANATION_SUBMITTED, S.UNDER_REVIEW])
def test_a_returned_submission_sends_every_record_of_it_back(current: RecordStatus) -> None:
    assert next_status(current, T.SUBMISSION_RETURNED) == S.AWAITING_EXPLANATION


def test_a_refused_scan_waits_for_another_and_only_a_signed_submission_is_published() -> None:
    assert next_status(S.UNDER_REVIEW, T.SCAN_REFUSED) == S.EXPLANATION_SUBMITTED
    with pytest.raises(IllegalTransition):
        next_status(S.EXPLANATION_SUBMITTED, T.SUBMISSION_PUBLISHED)


def test_a_v1_publication_in_flight_at_the_upgrade_still_explains_the_record() -> None:
    # v1 ExplanationPublished was keyed by explanation, so it could overtake the signed PDF.
    assert next_status(S.EXPLANATION_SUBMITTED, T.EXPLANATION_PUBLISHED) == S.EXPLAINED


@pytest.mark.parametrize(
    ("current", "trigger"),
    [(status, trigger) for status in S for trigger in T if (status, trigger) not in TRANSITIONS],
)
def test_every_other_pair_is_illegal(current: RecordStatus, trigger: Trigger) -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_status(current, trigger)
    assert raised.value.current == current
    assert str(trigger) in str(raised.value)


def test_records_that_need_no_explanation_never_move() -> None:
    assert not any(status == S.PUBLISHED for status, _ in TRANSITIONS)
    assert S.PUBLISHED not in TRANSITIONS.values()


def test_an_unknown_status_is_illegal_not_a_crash() -> None:
    with pytest.raises(IllegalTransition):
        next_status("withdrawn", T.RESOLVE)


def test_resolving_needs_an_explained_record_and_restoring_a_resolved_one() -> None:
    assert [s for s, t in TRANSITIONS if t == T.RESOLVE] == [S.EXPLAINED]
    assert [s for s, t in TRANSITIONS if t == T.RESTORE] == [S.RESOLVED]
