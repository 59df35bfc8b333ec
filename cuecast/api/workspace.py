"""`/api/v1/workspace/late-policy`: what happens to a held post whose time passed while it was
held (docs/decisions/0008-late-policy.md). Everyone may read it; admins and owners change it."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from cuecast.accounts.models import MAX_LATE_LIMIT_HOURS, LatePolicy, Workspace
from cuecast.accounts.permissions import Action
from cuecast.accounts.services import set_late_policy
from cuecast.api.auth import request_actor
from cuecast.api.errors import responses
from cuecast.api.schemas import Input

router = Router(tags=["workspace"])


class LatePolicyOut(Schema):
    late_policy: LatePolicy = Field(
        description="publish_late: a held post goes out late, up to late_limit_hours; "
        "skip: a held post whose time passed is skipped."
    )
    late_limit_hours: int


class LatePolicyPatch(Input):
    """Only the fields sent change."""

    late_policy: LatePolicy | None = None
    late_limit_hours: int | None = Field(None, ge=1, le=MAX_LATE_LIMIT_HOURS)


def _out(workspace: Workspace) -> LatePolicyOut:
    return LatePolicyOut(
        late_policy=LatePolicy(workspace.late_policy), late_limit_hours=workspace.late_limit_hours
    )


@router.get("/late-policy", response={200: LatePolicyOut, **responses(401, 403)})
def get_late_policy(request: HttpRequest) -> LatePolicyOut:
    """The workspace's late policy for held posts."""
    actor = request_actor(request)
    actor.require(Action.VIEW)
    return _out(Workspace.objects.get(pk=actor.workspace.pk))


@router.patch("/late-policy", response={200: LatePolicyOut, **responses(401, 403, 422)})
def update_late_policy(request: HttpRequest, payload: LatePolicyPatch) -> LatePolicyOut:
    """Change the late policy (admins and owners). It applies to every release from now on."""
    actor = request_actor(request)
    current = Workspace.objects.get(pk=actor.workspace.pk)
    workspace = set_late_policy(
        actor,
        policy=payload.late_policy or current.late_policy,
        limit_hours=payload.late_limit_hours or current.late_limit_hours,
    )
    return _out(workspace)
