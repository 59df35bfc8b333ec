"""Who is asking, in which workspace: every workspace page starts here.

A workspace page looks its workspace up *through the person's memberships*, so a workspace the
person is not a member of does not exist for them (404, not 403: its name is not revealed either).
The person's language choice is applied here too, so it follows them to any browser.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation

from cuecast.accounts.models import User, Workspace
from cuecast.accounts.services import Actor, actor_for_user


@dataclass(frozen=True)
class Member:
    """A signed-in person acting in one of their workspaces."""

    user: User
    workspace: Workspace
    actor: Actor


def current_user(request: HttpRequest) -> User:
    """The signed-in user; views call this after `login_required` has let the request through."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    apply_language(user)
    return user


def apply_language(user: User) -> None:
    if user.language in dict(settings.LANGUAGES):
        translation.activate(user.language)


def remember_language(response: HttpResponse, language: str) -> None:
    """Also keep the choice in the language cookie, so the sign-in page speaks it after sign-out."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
    )


def get_member(request: HttpRequest, slug: str) -> Member:
    user = current_user(request)
    workspace = Workspace.objects.filter(slug=slug, memberships__user=user).first()
    if workspace is None:
        raise Http404
    actor = actor_for_user(user, workspace)
    if actor is None:  # membership removed between the two queries
        raise Http404
    return Member(user=user, workspace=workspace, actor=actor)


def workspaces_of(user: User) -> list[Workspace]:
    return list(Workspace.objects.filter(memberships__user=user).order_by("name"))
