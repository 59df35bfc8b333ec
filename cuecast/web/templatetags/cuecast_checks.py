"""Template helpers for holds and checks: the "needs your check" badge, a target's evidence panel,
and which networks an administrator switched off."""

from __future__ import annotations

from typing import Any

from django import template

from cuecast.accounts.models import Workspace
from cuecast.accounts.permissions import Action
from cuecast.channels.models import NetworkSwitch
from cuecast.channels.switches import switched_off
from cuecast.posts.models import Target
from cuecast.publishing import checks, evidence

register = template.Library()


@register.simple_tag
def needs_check_count(workspace: Workspace | None) -> int:
    """How many of the workspace's targets wait for a person's check (the navigation's badge)."""
    if not isinstance(workspace, Workspace):
        return 0
    return checks.needs_check_count(workspace)


@register.filter
def needs_check(target: Target) -> bool:
    return target.state == "unconfirmed" and target.next_attempt_at is None


@register.simple_tag
def check_panel(target: Target, member: Any) -> dict[str, Any]:
    """What the panel of a target that needs a check shows, and whether this person may settle."""
    return {"evidence": evidence.gather(target), "can_settle": may(member, Action.COMPOSE)}


@register.filter
def may(member: Any, action: str) -> bool:
    """`{% if member|may:"manage_workspace" %}`: the permission matrix, in a template."""
    actor = getattr(member, "actor", None)
    return actor is not None and action in set(Action) and actor.can(Action(action))


@register.simple_tag
def switched_off_networks() -> dict[str, NetworkSwitch]:
    """Networks an administrator of this Cuecast switched off, by key."""
    return switched_off()
