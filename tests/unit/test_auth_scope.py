"""Who may read an enterprise's data: its staff, and the operators of its tenant."""

from uuid import uuid4

import pytest

from bluemap_shared.auth import ADMIN, ENTERPRISE, REVIEWER, Principal, enterprise_scope, may_read_enterprise


def principal(roles: set[str], enterprise_id: object = None) -> Principal:
    return Principal(subject="s", tenant_id="t", roles=frozenset(roles), enterprise_id=enterprise_id)  # type: ignore[arg-type]


def test_staff_read_their_enterprise_only() -> None:
    own, other = uuid4(), uuid4()
    staff = principal({ENTERPRISE}, own)
    assert may_read_enterprise(staff, own)
    assert not may_read_enterprise(staff, other)
    assert not may_read_enterprise(principal(set(), own), own)


@pytest.mark.parametrize("role", [ADMIN, REVIEWER])
def test_operators_read_any_enterprise(role: str) -> None:
    assert may_read_enterprise(principal({role}), uuid4())


def test_enterprise_scope() -> None:
    own, other = uuid4(), uuid4()
    staff = principal({ENTERPRISE}, own)
    assert enterprise_scope(staff, None) == (True, own)
    assert enterprise_scope(staff, own) == (True, own)
    assert enterprise_scope(staff, other) == (False, None)
    assert enterprise_scope(principal({ENTERPRISE}), None) == (False, None)
    assert enterprise_scope(principal({ADMIN}), other) == (True, other)
    assert enterprise_scope(principal({REVIEWER}), None) == (True, None)
