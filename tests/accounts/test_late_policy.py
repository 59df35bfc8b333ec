"""The workspace's late policy: today's behaviour by default (publish up to an hour late), changed
only by admins and owners, with field-named refusals and an audit event."""

from __future__ import annotations

from typing import Any

import pytest

from cuecast.accounts.models import MAX_LATE_LIMIT_HOURS, LatePolicy, Role, Workspace
from cuecast.accounts.permissions import PermissionDenied
from cuecast.accounts.services import Actor, set_late_policy
from cuecast.posts.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_new_workspace_publishes_up_to_an_hour_late(workspace: Workspace) -> None:
    assert (workspace.late_policy, workspace.late_limit_hours) == (LatePolicy.PUBLISH_LATE, 1)


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_admins_and_owners_change_it_with_an_audit_event(workspace: Workspace, role: Role) -> None:
    set_late_policy(Actor(workspace, role), policy=LatePolicy.SKIP, limit_hours=3)
    workspace.refresh_from_db()
    assert (workspace.late_policy, workspace.late_limit_hours) == (LatePolicy.SKIP, 3)
    event = workspace.audit_events.get(action="workspace.late_policy")
    assert event.data == {
        "before": {"late_policy": "publish_late", "late_limit_hours": 1},
        "after": {"late_policy": "skip", "late_limit_hours": 3},
    }


@pytest.mark.parametrize("role", [Role.EDITOR, Role.APPROVER, Role.VIEWER])
def test_other_roles_may_not(workspace: Workspace, role: Role) -> None:
    with pytest.raises(PermissionDenied):
        set_late_policy(Actor(workspace, role), policy=LatePolicy.SKIP, limit_hours=1)
    workspace.refresh_from_db()
    assert workspace.late_policy == LatePolicy.PUBLISH_LATE


@pytest.mark.parametrize(
    ("policy", "hours", "field"),
    [
        ("sometimes", 1, "late_policy"),
        (LatePolicy.PUBLISH_LATE, 0, "late_limit_hours"),
        (LatePolicy.PUBLISH_LATE, MAX_LATE_LIMIT_HOURS + 1, "late_limit_hours"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    workspace: Workspace, policy: str, hours: int, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        set_late_policy(Actor(workspace, Role.OWNER), policy=policy, limit_hours=hours)
    assert [e.field for e in refused.value.errors] == [field]
    assert refused.value.errors[0].message.endswith(".")


def test_the_limit_is_counted_in_whole_hours(workspace: Any) -> None:
    set_late_policy(Actor(workspace, Role.OWNER), policy=LatePolicy.PUBLISH_LATE, limit_hours=168)
    workspace.refresh_from_db()
    assert workspace.late_limit_hours == MAX_LATE_LIMIT_HOURS
