"""The submission's transition table: the one place that says which status follows which step."""

import pytest

from bluemap_explanations.submissions.rules import (
    CLOSED,
    TRANSITIONS,
    IllegalStep,
    Step,
    SubmissionStatus,
    Verdict,
    allows,
    next_status,
    review_step,
)

S = SubmissionStatus
A, R = Verdict.APPROVED, Verdict.REJECTED


def test_the_paths_of_a_submission() -> None:
    def walk(*steps: Step) -> list[SubmissionStatus]:
        status, path = S.SENT, [S.SENT]
        for step in steps:
            status = next_status(status, step)
            path.append(status)
        return path

    assert walk(Step.RENDER, Step.SIGN, Step.OPEN_REVIEW, Step.PUBLISH)[-1] is S.PUBLISHED
    assert walk(Step.RENDER, Step.SIGN, Step.RETURN)[-1] is S.RETURNED
    assert walk(Step.RENDER, Step.SIGN, Step.REFUSE_SCAN, Step.SIGN, Step.PUBLISH) == [
        S.SENT,
        S.PDF_RENDERED,
        S.SIGNED,
        S.PDF_RENDERED,
        S.SIGNED,
        S.PUBLISHED,
    ]
    # A new scan while a reviewer looks hands the submission back to signed: the reviewer looks again.
    assert walk(Step.RENDER, Step.SIGN, Step.OPEN_REVIEW, Step.SIGN)[-1] is S.SIGNED


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (S.SENT, Step.SIGN),  # a scan before the PDF: documents refuses it; here it waits on the row
        (S.SENT, Step.PUBLISH),
        (S.SENT, Step.RETURN),  # nothing to send back before the PDF exists
        (S.PDF_RENDERED, Step.PUBLISH),  # an explanation cannot be approved while the signed scan is pending
        (S.PDF_RENDERED, Step.OPEN_REVIEW),
        (S.PDF_RENDERED, Step.RENDER),  # rendered once
        (S.SIGNED, Step.RENDER),
    ],
)
def test_refused_steps(status: SubmissionStatus, step: Step) -> None:
    assert not allows(status, step)
    with pytest.raises(IllegalStep, match=f"cannot take '{step}'"):
        next_status(status, step)


@pytest.mark.parametrize("closed", sorted(CLOSED))
def test_published_and_returned_are_final(closed: SubmissionStatus) -> None:
    assert all(status is not closed for status, _ in TRANSITIONS)


def test_unknown_status_is_refused() -> None:
    assert not allows("reviewed", Step.PUBLISH)  # the old model's status, migrated away by 0006


@pytest.mark.parametrize(
    ("explanations", "scan", "step"),
    [
        ([A, A], A, Step.PUBLISH),
        ([A, R], A, Step.RETURN),  # one rejected explanation returns the whole submission
        ([R, R], R, Step.RETURN),
        ([A, R], R, Step.RETURN),
        ([A, A], R, Step.REFUSE_SCAN),  # only the scan: another scan of the same PDF
    ],
)
def test_what_a_review_does(explanations: list[Verdict], scan: Verdict, step: Step) -> None:
    assert review_step(explanations, scan) is step
