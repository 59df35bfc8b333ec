"""Mastodon REST endpoints: instance, accounts, statuses (with Idempotency-Key) and media."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.logs import ReceivedPost
from sandbox.common.network import Call
from sandbox.mastodon import entities
from sandbox.mastodon.counting import countable_length
from sandbox.mastodon.oauth import request_data
from sandbox.mastodon.state import IDEMPOTENCY_SECONDS, MastodonState, Media, Status

VISIBILITIES = ("public", "unlisted", "private", "direct")
NOT_FOUND = {"error": "Record not found"}


def _ms(call: Call) -> MastodonState:
    return call.sandbox.net("mastodon", MastodonState)


def base_url(call: Call) -> str:
    return str(call.request.base_url).rstrip("/") + "/mastodon"


def _validation(message: str) -> JSONResponse:
    return JSONResponse({"error": f"Validation failed: {message}"}, status_code=422)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "t", "yes", "on")


async def instance(call: Call) -> Response:
    with call.sandbox.lock:
        return JSONResponse(
            entities.instance_json(base_url(call), call.request.url.netloc, _ms(call))
        )


async def verify_credentials(call: Call) -> Response:
    assert call.principal is not None and call.principal.user_id is not None
    with call.sandbox.lock:
        ms = _ms(call)
        account = ms.accounts[call.principal.user_id]
        return JSONResponse(entities.credential_account_json(base_url(call), account, ms))


def _status_params(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise form (``media_ids[]``, ``poll[options][]``) and JSON bodies to one shape."""
    media = data.get("media_ids", data.get("media_ids[]", []))
    media = [str(m) for m in (media if isinstance(media, list) else [media]) if str(m)]
    poll = data.get("poll")
    if poll is None and any(k.startswith("poll[") for k in data):
        options = data.get("poll[options][]", data.get("poll[options]", []))
        poll = {
            "options": options if isinstance(options, list) else [options],
            "expires_in": data.get("poll[expires_in]"),
            "multiple": data.get("poll[multiple]", False),
            "hide_totals": data.get("poll[hide_totals]", False),
        }
    return {
        "status": str(data.get("status") or ""),
        "media_ids": media,
        "poll": poll,
        "in_reply_to_id": str(data["in_reply_to_id"]) if data.get("in_reply_to_id") else None,
        "sensitive": _flag(data.get("sensitive", False)),
        "spoiler_text": str(data.get("spoiler_text") or ""),
        "visibility": str(data.get("visibility") or "public"),
        "language": str(data["language"]) if data.get("language") else None,
    }


def _check_poll(poll: Any) -> str | None:
    if not isinstance(poll, dict):
        return "Poll is invalid"
    options = poll.get("options")
    if not isinstance(options, list) or not 2 <= len(options) <= 4:
        return "Poll must have between 2 and 4 options"
    if any(len(str(o)) > 50 for o in options):
        return "Poll options must be at most 50 characters"
    try:
        expires = int(poll.get("expires_in") or 0)
    except (TypeError, ValueError):
        expires = 0
    if not 300 <= expires <= 2629746:
        return "Poll duration must be between 5 minutes and 1 month"
    return None


def _validate_status(
    ms: MastodonState, params: dict[str, Any], account_id: str, now: float
) -> str | None:
    cfg = ms.config
    if params["visibility"] not in VISIBILITIES:
        return "Visibility is not included in the list"
    if not params["status"].strip() and not params["media_ids"]:
        return "Text can't be blank"
    length = countable_length(
        params["status"], params["spoiler_text"], cfg.characters_reserved_per_url
    )
    if length > cfg.max_characters:
        return f"Text character limit of {cfg.max_characters} exceeded"
    if params["poll"] is not None:
        if params["media_ids"]:
            return "Cannot attach files to a status with a poll"
        problem = _check_poll(params["poll"])
        if problem:
            return problem
    return None


def _media_problem(
    ms: MastodonState, params: dict[str, Any], account_id: str, now: float
) -> str | None:
    ids = params["media_ids"]
    if len(ids) > ms.config.max_media_attachments:
        return f"Cannot attach more than {ms.config.max_media_attachments} files"
    for media_id in ids:
        media = ms.media.get(media_id)
        if media is None or media.account_id != account_id:
            return None  # unknown ids are ignored by Mastodon
        if now < media.ready_at:
            return "Cannot attach files that have not finished processing. Try again in a moment!"
    return None


async def create_status(call: Call) -> Response:
    assert call.principal is not None and call.principal.user_id is not None
    account_id = call.principal.user_id
    try:
        params = _status_params(await request_data(call.request))
    except (ValueError, json.JSONDecodeError):
        return JSONResponse({"error": "Invalid request body"}, status_code=400)
    key = call.request.headers.get("idempotency-key")
    now = call.now
    base = base_url(call)
    with call.sandbox.lock:
        ms = _ms(call)
        if key:
            seen = ms.idempotency.get((account_id, key))
            if seen is not None and now - seen[1] < IDEMPOTENCY_SECONDS:
                original = ms.statuses.get(seen[0])
                if original is not None:
                    return JSONResponse(entities.status_json(base, original, ms, now))
        problem = _validate_status(ms, params, account_id, now)
        if problem:
            return _validation(problem)
        media_problem = _media_problem(ms, params, account_id, now)
        if media_problem:
            return JSONResponse({"error": media_problem}, status_code=422)
        parent = None
        if params["in_reply_to_id"]:
            parent = ms.live_status(params["in_reply_to_id"])
            if parent is None:
                return JSONResponse(NOT_FOUND, status_code=404)
        media_ids = [
            m for m in params["media_ids"] if m in ms.media and ms.media[m].account_id == account_id
        ]
        status = Status(
            id=ms.ids.next(),
            account_id=account_id,
            text=params["status"],
            created_at=now,
            visibility=params["visibility"],
            sensitive=params["sensitive"] or bool(params["spoiler_text"]),
            spoiler_text=params["spoiler_text"],
            language=params["language"] or "en",
            in_reply_to_id=parent.id if parent else None,
            in_reply_to_account_id=parent.account_id if parent else None,
            media_ids=media_ids,
            poll=params["poll"],
            application=_app_name(call, ms),
            idempotency_key=key,
        )
        ms.add_status(status)
        for media_id in media_ids:
            ms.media[media_id].status_id = status.id
        if key:
            ms.idempotency[(account_id, key)] = (status.id, now)
        call.sandbox.logs.record_post(
            ReceivedPost(
                network="mastodon",
                user=ms.accounts[account_id].username,
                user_id=account_id,
                id=status.id,
                text=status.text,
                created_at=entities.iso(now),
                in_reply_to_id=status.in_reply_to_id,
                media_ids=media_ids,
                idempotency_key=key,
                extra={
                    "visibility": status.visibility,
                    "spoiler_text": status.spoiler_text,
                    "sensitive": status.sensitive,
                    "language": status.language,
                    "poll": status.poll,
                },
            )
        )
        return JSONResponse(entities.status_json(base, status, ms, now))


def _app_name(call: Call, ms: MastodonState) -> str | None:
    if call.principal is None:
        return None
    app = ms.apps.get(call.principal.token.client_id)
    return app.name if app else None


def _visible(status: Status, viewer: str | None) -> bool:
    return status.visibility in ("public", "unlisted") or status.account_id == viewer


async def get_status(call: Call) -> Response:
    viewer = call.principal.user_id if call.principal else None
    with call.sandbox.lock:
        ms = _ms(call)
        status = ms.live_status(call.request.path_params["id"])
        if status is None or not _visible(status, viewer):
            return JSONResponse(NOT_FOUND, status_code=404)
        return JSONResponse(entities.status_json(base_url(call), status, ms, call.now))


async def delete_status(call: Call) -> Response:
    assert call.principal is not None
    with call.sandbox.lock:
        ms = _ms(call)
        status = ms.live_status(call.request.path_params["id"])
        if status is None or status.account_id != call.principal.user_id:
            return JSONResponse(NOT_FOUND, status_code=404)
        ms.delete_status(status)
        return JSONResponse(
            entities.status_json(base_url(call), status, ms, call.now, with_source=True)
        )


async def account_statuses(call: Call) -> Response:
    params = call.request.query_params
    viewer = call.principal.user_id if call.principal else None
    try:
        limit = min(max(int(params.get("limit", "20")), 1), 40)
    except ValueError:
        limit = 20
    with call.sandbox.lock:
        ms = _ms(call)
        account_id = call.request.path_params["id"]
        if account_id not in ms.accounts:
            return JSONResponse(NOT_FOUND, status_code=404)
        statuses = sorted(
            (
                s
                for s in ms.statuses.values()
                if s.account_id == account_id and not s.deleted and _visible(s, viewer)
            ),
            key=lambda s: int(s.id),
            reverse=True,
        )
        if _flag(params.get("exclude_replies", False)):
            statuses = [s for s in statuses if s.in_reply_to_id is None]
        if _flag(params.get("only_media", False)):
            statuses = [s for s in statuses if s.media_ids]
        if params.get("max_id", "").isdigit():
            statuses = [s for s in statuses if int(s.id) < int(params["max_id"])]
        if params.get("since_id", "").isdigit():
            statuses = [s for s in statuses if int(s.id) > int(params["since_id"])]
        if params.get("min_id", "").isdigit():
            bound = int(params["min_id"])
            statuses = sorted((s for s in statuses if int(s.id) > bound), key=lambda s: int(s.id))
            statuses = list(reversed(statuses[:limit]))
        page = statuses[:limit]
        base = base_url(call)
        body = [entities.status_json(base, s, ms, call.now) for s in page]
    response = JSONResponse(body)
    if page:
        url = f"{base}/api/v1/accounts/{account_id}/statuses"
        response.headers["link"] = (
            f'<{url}?limit={limit}&max_id={page[-1].id}>; rel="next", '
            f'<{url}?limit={limit}&min_id={page[0].id}>; rel="prev"'
        )
    return response


def _media_type(content_type: str) -> str | None:
    if content_type == "image/gif":
        return "gifv"
    major = content_type.split("/", 1)[0]
    return {"image": "image", "video": "video", "audio": "audio"}.get(major)


async def upload_media(call: Call) -> Response:
    assert call.principal is not None and call.principal.user_id is not None
    form = await call.request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _validation("File can't be blank")
    content_type = upload.content_type or "application/octet-stream"
    data = await upload.read()
    kind = _media_type(content_type)
    if kind is None:
        return _validation("File content type is invalid, File is invalid")
    description = form.get("description")
    with call.sandbox.lock:
        ms = _ms(call)
        cfg = ms.config
        limit = cfg.image_size_limit if kind == "image" else cfg.video_size_limit
        if len(data) > limit:
            return _validation(f"File file size must be less than {limit // (1024 * 1024)} MB")
        synchronous = kind == "image" and len(data) <= cfg.media_sync_threshold
        now = call.now
        media = Media(
            id=ms.ids.next(),
            account_id=call.principal.user_id,
            type=kind,
            content_type=content_type,
            filename=upload.filename or "upload",
            data=data,
            description=str(description) if isinstance(description, str) else None,
            ready_at=now if synchronous else now + cfg.media_processing_seconds,
        )
        ms.media[media.id] = media
        body = entities.media_json(base_url(call), media, now)
    return JSONResponse(body, status_code=200 if synchronous else 202)


async def get_media(call: Call) -> Response:
    assert call.principal is not None
    with call.sandbox.lock:
        ms = _ms(call)
        media = ms.media.get(call.request.path_params["id"])
        if media is None or media.account_id != call.principal.user_id:
            return JSONResponse(NOT_FOUND, status_code=404)
        now = call.now
        body = entities.media_json(base_url(call), media, now)
        return JSONResponse(body, status_code=200 if now >= media.ready_at else 206)


async def media_file(call: Call) -> Response:
    with call.sandbox.lock:
        media = _ms(call).media.get(call.request.path_params["id"])
        if media is None or call.now < media.ready_at:
            return JSONResponse(NOT_FOUND, status_code=404)
        return Response(media.data, media_type=media.content_type)
