"""Small template helpers for the web UI."""

from __future__ import annotations

from typing import Any

from django import template

from cuecast.accounts.models import User, Workspace
from cuecast.web.access import workspaces_of

register = template.Library()


@register.simple_tag(takes_context=True)
def user_workspaces(context: dict[str, Any]) -> list[Workspace]:
    """The signed-in person's workspaces, for the switcher in the header."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return []
    return workspaces_of(user)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """`{{ names|get_item:key }}`: a dictionary look-up with a variable key."""
    return mapping.get(key)
