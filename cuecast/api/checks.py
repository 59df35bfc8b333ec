"""Settling a target Cuecast could not confirm (cuecast.publishing.checks), over the API:
`POST /api/v1/posts/{post_id}/targets/{target_id}/confirm-published` and `.../publish-again`.

Editors and up may settle; another workspace's post or target does not exist here (404); a target
that no longer needs a check (found or settled meanwhile) is refused with 409.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router

from cuecast.api import selectors
from cuecast.api.auth import request_actor
from cuecast.api.errors import NotFound, error_response, responses
from cuecast.api.idempotency import OPENAPI_PARAMETER, idempotent_operation
from cuecast.api.posts import post_out
from cuecast.api.schemas import Input, PostOut
from cuecast.publishing.checks import TargetMoved, confirm_published, publish_again

router = Router(tags=["posts"])


class ConfirmPublishedIn(Input):
    permalink: str | None = Field(
        None,
        max_length=500,
        description="The post's address on the network, if you have it; its id is read from it "
        "where the address names one.",
        examples=["https://mastodon.social/@acme/113000000000000001"],
    )


def _target_of_post(request: HttpRequest, post_id: int, target_id: int) -> int:
    """The target's id once it is known to belong to that post in the key's workspace."""
    post = selectors.post(request_actor(request), post_id)
    if not any(t.pk == target_id for t in post.targets.all()):
        raise NotFound(f"Post {post_id} has no target {target_id} in this workspace.")
    return target_id


_DOC: dict[str, object] = {"parameters": [dict(OPENAPI_PARAMETER)]}


@router.post(
    "/{post_id}/targets/{target_id}/confirm-published",
    summary="Confirm Published",
    response={200: PostOut, **responses(401, 403, 404, 409, 422)},
    openapi_extra=_DOC,
)
@idempotent_operation()
def confirm_published_op(
    request: HttpRequest, post_id: int, target_id: int, payload: ConfirmPublishedIn
) -> PostOut | HttpResponse:
    """You saw the post on the network: record the target as published (with its link, if
    given). Only for a target that needs your check (unconfirmed, no look-up left)."""
    actor = request_actor(request)
    target_id = _target_of_post(request, post_id, target_id)
    try:
        confirm_published(actor, target_id, permalink=payload.permalink or "")
    except TargetMoved as exc:
        return error_response(409, str(exc))
    return post_out(selectors.post(actor, post_id))


@router.post(
    "/{post_id}/targets/{target_id}/publish-again",
    summary="Publish Again",
    response={200: PostOut, **responses(401, 403, 404, 409, 422)},
    openapi_extra=_DOC,
)
@idempotent_operation()
def publish_again_op(request: HttpRequest, post_id: int, target_id: int) -> PostOut | HttpResponse:
    """The post is not on the network: send it again now, as a new post (a fresh idempotency
    key, so the network does not take it for a repeat). Only for a target that needs your check."""
    actor = request_actor(request)
    target_id = _target_of_post(request, post_id, target_id)
    try:
        publish_again(actor, target_id)
    except TargetMoved as exc:
        return error_response(409, str(exc))
    return post_out(selectors.post(actor, post_id))
