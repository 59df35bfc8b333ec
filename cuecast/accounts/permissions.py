"""The permission matrix: which role may do what. Tests assert every cell of it."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from cuecast.accounts.models import Role


class Action(StrEnum):
    VIEW = "view"
    COMPOSE = "compose"  # write drafts and schedule them (subject to approval)
    APPROVE = "approve"
    CANCEL_POST = "cancel_post"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_WORKSPACE = "manage_workspace"
    DELETE_WORKSPACE = "delete_workspace"


_ALL = frozenset(Action)

MATRIX: dict[Role, frozenset[Action]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL - {Action.DELETE_WORKSPACE},
    Role.EDITOR: frozenset(
        {Action.VIEW, Action.COMPOSE, Action.CANCEL_POST, Action.MANAGE_CAMPAIGNS}
    ),
    Role.APPROVER: frozenset({Action.VIEW, Action.APPROVE, Action.CANCEL_POST}),
    Role.VIEWER: frozenset({Action.VIEW}),
}


def allows(role: str, action: Action) -> bool:
    try:
        return action in MATRIX[Role(role)]
    except ValueError:
        return False


class PermissionDenied(Exception):
    """Raised by services; views and the API turn it into 403 with this message."""

    def __init__(self, action: Action, role: str) -> None:
        self.action, self.role = action, role
        super().__init__(
            _("Your role (%(role)s) does not allow this: %(action)s.")
            % {"role": role, "action": action.value.replace("_", " ")}
        )
