"""Write paths for accounts: workspaces, members, API keys, audit events.

Every service that changes workspace data takes an `Actor`: who is acting, in which workspace, with
which role. Services check the permission first and scope every query to `actor.workspace`, so a
view or API endpoint cannot forget either.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.models import (
    MAX_LATE_LIMIT_HOURS,
    ApiKey,
    AuditEvent,
    LatePolicy,
    Membership,
    Role,
    User,
    Workspace,
)
from cuecast.accounts.permissions import Action, PermissionDenied, allows

API_KEY_PREFIX = "cc_"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in member or an API key, always inside exactly one workspace."""

    workspace: Workspace
    role: str
    user: User | None = None
    api_key: ApiKey | None = None

    def require(self, action: Action) -> None:
        if not allows(self.role, action):
            raise PermissionDenied(action, self.role)

    def can(self, action: Action) -> bool:
        return allows(self.role, action)


def actor_for_user(user: User, workspace: Workspace) -> Actor | None:
    """The member's actor in that workspace, or None if they are not a member."""
    membership = Membership.objects.filter(user=user, workspace=workspace).first()
    if membership is None:
        return None
    return Actor(workspace=workspace, role=membership.role, user=user)


def audit(actor: Actor, action: str, obj: Any, **data: Any) -> None:
    AuditEvent.objects.create(
        workspace=actor.workspace,
        actor=actor.user,
        api_key=actor.api_key,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(getattr(obj, "pk", "")),
        data=data,
    )


@transaction.atomic
def create_workspace(
    *, slug: str, name: str, owner: User, timezone_name: str = "Europe/Berlin"
) -> Workspace:
    workspace = Workspace(slug=slug, name=name, timezone=timezone_name)
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    audit(Actor(workspace, Role.OWNER, user=owner), "workspace.created", workspace, slug=slug)
    return workspace


@transaction.atomic
def add_member(actor: Actor, *, user: User, role: Role) -> Membership:
    actor.require(Action.MANAGE_MEMBERS)
    membership, _ = Membership.objects.update_or_create(
        user=user, workspace=actor.workspace, defaults={"role": role}
    )
    audit(actor, "member.set", membership, user=user.username, role=role.value)
    return membership


def _hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_key(actor: Actor, *, name: str, role: Role = Role.EDITOR) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext, which is shown once and never stored."""
    actor.require(Action.MANAGE_API_KEYS)
    prefix = secrets.token_hex(4)
    plaintext = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        workspace=actor.workspace,
        name=name,
        prefix=prefix,
        key_hash=_hash_key(plaintext),
        role=role,
        created_by=actor.user,
    )
    audit(actor, "api_key.created", key, name=name, role=role.value)
    return key, plaintext


def authenticate_api_key(plaintext: str) -> Actor | None:
    """The actor for a presented key, or None when it is unknown, malformed or revoked."""
    if not plaintext.startswith(API_KEY_PREFIX):
        return None
    prefix = plaintext[len(API_KEY_PREFIX) :].split("_", 1)[0]
    key = ApiKey.objects.select_related("workspace").filter(prefix=prefix, revoked_at=None).first()
    if key is None or not secrets.compare_digest(key.key_hash, _hash_key(plaintext)):
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return Actor(workspace=key.workspace, role=key.role, api_key=key)


@transaction.atomic
def set_late_policy(actor: Actor, *, policy: str, limit_hours: int) -> Workspace:
    """What happens to held posts whose time passed (docs/decisions/0008-late-policy.md). Applies
    to every release from now on; posts already released or skipped stay as they are."""
    from cuecast.posts.errors import FieldError, ValidationFailed

    actor.require(Action.MANAGE_WORKSPACE)
    errors: list[FieldError] = []
    if policy not in LatePolicy.values:
        errors.append(
            FieldError("late_policy", _("Choose “publish_late” or “skip”.")),
        )
    if not 1 <= limit_hours <= MAX_LATE_LIMIT_HOURS:
        errors.append(
            FieldError(
                "late_limit_hours",
                _("Give a number of hours from 1 to %(max)d.") % {"max": MAX_LATE_LIMIT_HOURS},
            )
        )
    if errors:
        raise ValidationFailed(errors)
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace.pk)
    before = {"late_policy": workspace.late_policy, "late_limit_hours": workspace.late_limit_hours}
    workspace.late_policy, workspace.late_limit_hours = policy, limit_hours
    workspace.save(update_fields=["late_policy", "late_limit_hours"])
    audit(
        actor,
        "workspace.late_policy",
        workspace,
        before=before,
        after={"late_policy": policy, "late_limit_hours": limit_hours},
    )
    return workspace
