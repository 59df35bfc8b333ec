"""The permission matrix, cell by cell, and services enforcing it."""

from __future__ import annotations

import pytest

from cuecast.accounts.models import Role
from cuecast.accounts.permissions import Action, PermissionDenied, allows

A = Action
EXPECTED: dict[Role, set[Action]] = {
    Role.OWNER: set(Action),
    Role.ADMIN: set(Action) - {A.DELETE_WORKSPACE},
    Role.EDITOR: {A.VIEW, A.COMPOSE, A.CANCEL_POST, A.MANAGE_CAMPAIGNS},
    Role.APPROVER: {A.VIEW, A.APPROVE, A.CANCEL_POST},
    Role.VIEWER: {A.VIEW},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_every_cell_of_the_matrix(role: Role, action: Action) -> None:
    assert allows(role, action) is (action in EXPECTED[role])


def test_unknown_role_is_allowed_nothing() -> None:
    assert not any(allows("superuser", action) for action in Action)


def test_denial_message_is_a_sentence() -> None:
    message = str(PermissionDenied(Action.MANAGE_CHANNELS, "viewer"))
    assert message == "Your role (viewer) does not allow this: manage channels."


def test_viewer_cannot_create_api_keys(workspace, owner) -> None:
    from cuecast.accounts.services import Actor, create_api_key

    with pytest.raises(PermissionDenied):
        create_api_key(Actor(workspace, Role.VIEWER, user=owner), name="nope")


def test_api_key_round_trip_and_revocation(actor) -> None:
    from django.utils import timezone

    from cuecast.accounts.models import ApiKey, AuditEvent
    from cuecast.accounts.services import authenticate_api_key, create_api_key

    key, plaintext = create_api_key(actor, name="ci", role=Role.EDITOR)
    assert plaintext not in {key.key_hash, key.prefix}
    found = authenticate_api_key(plaintext)
    assert found is not None and found.workspace == actor.workspace and found.role == "editor"
    assert authenticate_api_key(plaintext[:-1] + ("x" if plaintext[-1] != "x" else "y")) is None
    assert authenticate_api_key("not-a-key") is None
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert authenticate_api_key(plaintext) is None
    assert AuditEvent.objects.filter(action="api_key.created", object_id=str(key.pk)).exists()
