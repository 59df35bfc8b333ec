"""X API v2 media upload: chunked (initialize → append → finalize → status), simple, metadata.

Shapes from x-openapi.json (``InitializeMediaUploadRequest``/``Response``,
``AppendMediaUploadRequest``/``Response``, ``FinalizeMediaUploadResponse``,
``GetMediaUploadStatusResponse``, ``MediaUploadRequest``/``Response``,
``CreateMediaMetadataRequest``/``Response``) and docs.x.com's chunked-upload quickstart. Images are
ready at finalize; videos and GIFs report ``processing_info`` that moves ``pending`` →
``in_progress`` → ``succeeded`` on the sandbox clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.x import errors
from sandbox.x.state import MEDIA_KEY_PREFIX, TWEET_CATEGORIES, Media, XState

ID_RE = re.compile(r"^[0-9]{1,19}$")
MB = 1024 * 1024
MAX_SEGMENT_BYTES = 5 * MB
MAX_SEGMENT_INDEX = 999
MAX_ALT_TEXT = 1000
MEDIA_TYPES = (
    "video/mp4",
    "video/webm",
    "video/mp2t",
    "video/quicktime",
    "text/srt",
    "text/vtt",
    "image/jpeg",
    "image/gif",
    "image/bmp",
    "image/png",
    "image/webp",
    "image/pjpeg",
    "image/tiff",
    "model/gltf-binary",
    "model/vnd.usdz+zip",
)
INIT_CATEGORIES = tuple(MEDIA_KEY_PREFIX)
SIMPLE_CATEGORIES = tuple(c for c in MEDIA_KEY_PREFIX if c != "amplify_video")
# docs.x.com media best practices: images 5 MB, GIFs 15 MB, videos 512 MB.
MAX_BYTES = {"image": 5 * MB, "gif": 15 * MB, "video": 512 * MB, "other": 512 * MB}
INVALID_MEDIA_ID = "Your media IDs are invalid."


def _x(call: Call) -> XState:
    return call.sandbox.net("x", XState)


def _user(call: Call) -> str:
    assert call.principal is not None and call.principal.user_id is not None
    return call.principal.user_id


def _kind(category: str) -> str:
    if category.endswith("_gif"):
        return "gif"
    if category.endswith("_image"):
        return "image"
    if category.endswith("video"):
        return "video"
    return "other"


def _category_for(media_type: str) -> str:
    if media_type == "image/gif":
        return "tweet_gif"
    if media_type.startswith("video/"):
        return "tweet_video"
    if media_type.startswith("text/"):
        return "subtitles"
    return "tweet_image"


def _type_fits(media_type: str, category: str) -> bool:
    kind = _kind(category)
    if kind == "gif":
        return media_type == "image/gif"
    if kind == "image":
        return media_type.startswith("image/")
    if kind == "video":
        return media_type.startswith("video/")
    return media_type.startswith("text/")  # subtitles


def sniff(data: bytes) -> str | None:
    """The media type the bytes' signature says, if it is a common one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data.startswith(b"\x1aE\xdf\xa3"):
        return "video/webm"
    return None


def processing_info(media: Media, xs: XState, now: float) -> dict[str, Any] | None:
    """Where asynchronous processing stands (None for images, and before finalize)."""
    if not media.processed or media.finalized_at is None:
        return None
    config = xs.config
    elapsed = now - media.finalized_at
    if elapsed < config.media_pending_seconds:
        left = config.media_pending_seconds - elapsed
        return {"state": "pending", "check_after_secs": max(1, math.ceil(left))}
    if elapsed < config.media_processing_seconds:
        left = config.media_processing_seconds - elapsed
        percent = int(100 * elapsed / config.media_processing_seconds)
        return {
            "state": "in_progress",
            "check_after_secs": max(1, math.ceil(left)),
            "progress_percent": min(percent, 99),
        }
    if config.media_processing_result == "failed":
        return {"state": "failed", "progress_percent": 100}
    return {"state": "succeeded", "progress_percent": 100}


def usable_in_post(media: Media, xs: XState, now: float) -> bool:
    """Finalized, not expired, and (videos/GIFs) processed successfully."""
    if media.finalized_at is None or now >= media.expires_at:
        return False
    info = processing_info(media, xs, now)
    return info is None or info["state"] == "succeeded"


def render(media: Media, xs: XState, now: float) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": media.id,
        "media_key": media.media_key,
        "expires_after_secs": max(0, math.ceil(media.expires_at - now)),
    }
    if media.finalized_at is None:
        return data
    data["size"] = media.total_bytes
    kind = _kind(media.media_category)
    if kind in ("image", "gif"):
        data["image"] = {"image_type": media.media_type}
    if kind == "video":
        data["video"] = {"video_type": media.media_type}
    info = processing_info(media, xs, now)
    if info is not None:
        data["processing_info"] = info
    return data


def _bad(parameter: str, value: Any, message: str) -> JSONResponse:
    return errors.invalid_request([errors.param_error(parameter, value, message)])


def _find(call: Call, xs: XState, media_id: str, parameter: str) -> Media | JSONResponse:
    """The caller's live upload ``media_id``, or the 400 X gives for a bad one."""
    media = xs.media.get(media_id) if ID_RE.match(media_id) else None
    if media is None or not media.may_use(_user(call)) or call.now >= media.expires_at:
        return _bad(parameter, media_id, f"Invalid media id: {media_id}")
    return media


async def _json_body(call: Call) -> Any:
    raw = await call.request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return _Invalid()


class _Invalid:
    """Marks a body that could not be parsed."""


def _new_media(
    call: Call,
    xs: XState,
    media_type: str,
    category: str,
    total: int,
    owners: tuple[str, ...],
) -> Media:
    media = Media(
        id=xs.ids.next(),
        owner_id=_user(call),
        media_type=media_type,
        media_category=category,
        total_bytes=total,
        created_at=call.now,
        expires_at=call.now + xs.config.media_expires_after_secs,
        additional_owners=owners,
    )
    xs.media[media.id] = media
    return media


def _size_problem(total: int, category: str) -> str | None:
    limit = MAX_BYTES[_kind(category)]
    if total > limit:
        return f"File size exceeds {limit} bytes."
    return None


# --- chunked upload -------------------------------------------------------------------------
def _check_initialize(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return [{"message": "$: must be a JSON object"}]
    problems: list[dict[str, Any]] = []
    allowed = {"additional_owners", "media_category", "media_type", "shared", "total_bytes"}
    for key in body:
        if key not in allowed:
            problems.append(
                {
                    "message": f"$.{key}: is not defined in the schema and the schema does not "
                    "allow additional properties"
                }
            )
    if body.get("media_type") not in MEDIA_TYPES:
        problems.append(
            errors.param_error(
                "media_type", body.get("media_type"), f"media_type must be one of {MEDIA_TYPES}"
            )
        )
    total = body.get("total_bytes")
    if not (isinstance(total, int) and not isinstance(total, bool) and 0 < total <= 17179869184):
        problems.append(
            errors.param_error("total_bytes", total, "total_bytes must be a positive integer")
        )
    if "media_category" in body and body["media_category"] not in INIT_CATEGORIES:
        problems.append(
            errors.param_error(
                "media_category",
                body["media_category"],
                f"media_category must be one of {INIT_CATEGORIES}",
            )
        )
    owners = body.get("additional_owners", [])
    if not (
        isinstance(owners, list) and all(isinstance(o, str) and ID_RE.match(o) for o in owners)
    ):
        problems.append(
            errors.param_error("additional_owners", owners, "must be a list of numeric user ids")
        )
    if "shared" in body and not isinstance(body["shared"], bool):
        problems.append(errors.param_error("shared", body["shared"], "must be a boolean"))
    return problems


async def initialize(call: Call) -> Response:
    body = await _json_body(call)
    if isinstance(body, _Invalid):
        return errors.invalid_request([{"message": "Request body is not valid JSON."}])
    problems = _check_initialize(body)
    if problems:
        return errors.invalid_request(problems)
    media_type = str(body["media_type"])
    category = str(body.get("media_category") or _category_for(media_type))
    if not _type_fits(media_type, category):
        return _bad("media_type", media_type, f"media_type does not fit media_category {category}")
    total = int(body["total_bytes"])
    too_big = _size_problem(total, category)
    if too_big:
        return _bad("total_bytes", total, too_big)
    with call.sandbox.lock:
        xs = _x(call)
        media = _new_media(
            call, xs, media_type, category, total, tuple(body.get("additional_owners", []))
        )
        return JSONResponse({"data": render(media, xs, call.now)})


async def _segment(call: Call) -> tuple[int, bytes] | JSONResponse:
    """``segment_index`` and the chunk's bytes, from a multipart or a JSON body."""
    ctype = call.request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        body = await _json_body(call)
        if not isinstance(body, dict):
            return errors.invalid_request([{"message": "Request body is not valid JSON."}])
        index: Any = body.get("segment_index")
        raw = body.get("media")
        try:
            chunk = base64.b64decode(raw, validate=True) if isinstance(raw, str) else None
        except (binascii.Error, ValueError):
            chunk = None
    else:
        form = await _form(call)
        if form is None:
            return errors.invalid_request([{"message": "Request body is not valid multipart."}])
        index = form.get("segment_index")
        part = form.get("media")
        chunk = await part.read() if isinstance(part, UploadFile) else None
        if chunk is None and isinstance(part, str):
            chunk = part.encode("latin-1", "replace")
    try:
        number = int(index) if not isinstance(index, bool) else -1
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= MAX_SEGMENT_INDEX:
        return _bad("segment_index", index, "segment_index must be an integer from 0 to 999")
    if chunk is None:
        return _bad("media", None, "media is required")
    if len(chunk) > MAX_SEGMENT_BYTES:
        return _bad("media", f"{len(chunk)} bytes", "A segment may be at most 5 MB.")
    return number, chunk


async def _form(call: Call) -> Any:
    try:
        return await call.request.form(max_part_size=MAX_SEGMENT_BYTES + MB)
    except (HTTPException, MultiPartException):  # a malformed body or an oversized part
        return None


async def append(call: Call) -> Response:
    media_id = call.request.path_params["id"]
    segment = await _segment(call)
    if isinstance(segment, JSONResponse):
        return segment
    index, chunk = segment
    with call.sandbox.lock:
        xs = _x(call)
        found = _find(call, xs, media_id, "id")
        if isinstance(found, JSONResponse):
            return found
        if found.finalized_at is not None:
            return _bad("id", media_id, "The upload has already been finalized.")
        found.segments[index] = len(chunk)  # re-sending a segment replaces it
        if found.received_bytes > found.total_bytes:
            del found.segments[index]
            return _bad(
                "media",
                f"{len(chunk)} bytes",
                f"Segments add up to more than total_bytes ({found.total_bytes}).",
            )
        return JSONResponse({"data": {"expires_at": int(found.expires_at)}})


async def finalize(call: Call) -> Response:
    media_id = call.request.path_params["id"]
    with call.sandbox.lock:
        xs = _x(call)
        found = _find(call, xs, media_id, "id")
        if isinstance(found, JSONResponse):
            return found
        if found.finalized_at is None:
            indexes = sorted(found.segments)
            if indexes != list(range(len(indexes))):
                return _bad("id", media_id, f"Segments are missing: received {indexes}.")
            if found.received_bytes != found.total_bytes:
                return _bad(
                    "id",
                    media_id,
                    f"Received {found.received_bytes} bytes but total_bytes was "
                    f"{found.total_bytes}.",
                )
            found.finalized_at = call.now
            found.expires_at = call.now + xs.config.media_expires_after_secs
        return JSONResponse({"data": render(found, xs, call.now)})


async def status(call: Call) -> Response:
    params = call.request.query_params
    media_id = params.get("media_id", "")
    command = params.get("command")
    if command is not None and command != "STATUS":
        return _bad("command", command, "command must be STATUS")
    if not media_id:
        return _bad("media_id", "", "The `media_id` query parameter is required.")
    with call.sandbox.lock:
        xs = _x(call)
        found = _find(call, xs, media_id, "media_id")
        if isinstance(found, JSONResponse):
            return found
        if found.finalized_at is None:
            return _bad("media_id", media_id, "The upload has not been finalized.")
        return JSONResponse({"data": render(found, xs, call.now)})


# --- simple upload --------------------------------------------------------------------------
async def _simple_fields(call: Call) -> tuple[bytes, str, str, str] | JSONResponse:
    """(bytes, declared part type, media_category, additional_owners) of a simple upload."""
    ctype = call.request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        body = await _json_body(call)
        if not isinstance(body, dict):
            return errors.invalid_request([{"message": "Request body is not valid JSON."}])
        extra = set(body) - {"media", "media_category", "additional_owners"}
        if extra:
            return errors.invalid_request(
                [{"message": f"$.{k}: is not defined in the schema"} for k in sorted(extra)]
            )
        raw = body.get("media")
        try:
            data = base64.b64decode(raw, validate=True) if isinstance(raw, str) else None
        except (binascii.Error, ValueError):
            data = None
        declared = ""
        category: Any = body.get("media_category")
        owners: Any = body.get("additional_owners", "")
    else:
        form = await _form(call)
        if form is None:
            return errors.invalid_request([{"message": "Request body is not valid multipart."}])
        part = form.get("media")
        data = await part.read() if isinstance(part, UploadFile) else None
        declared = (part.content_type or "") if isinstance(part, UploadFile) else ""
        category = form.get("media_category")
        owners = form.get("additional_owners", "")
    if not data:
        return _bad("media", None, "media is required")
    if category not in SIMPLE_CATEGORIES:
        return _bad(
            "media_category", category, f"media_category must be one of {SIMPLE_CATEGORIES}"
        )
    if not isinstance(owners, str):
        return _bad("additional_owners", owners, "must be a comma-separated list of user ids")
    return data, declared, str(category), owners


async def simple_upload(call: Call) -> Response:
    fields = await _simple_fields(call)
    if isinstance(fields, JSONResponse):
        return fields
    data, declared, category, owners_raw = fields
    owners = tuple(o.strip() for o in owners_raw.split(",") if o.strip())
    if not all(ID_RE.match(o) for o in owners):
        return _bad("additional_owners", owners_raw, "must be a comma-separated list of user ids")
    media_type = sniff(data) or (declared if declared in MEDIA_TYPES else "")
    if not media_type:
        return _bad("media", f"{len(data)} bytes", "Unrecognized media type.")
    if not _type_fits(media_type, category):
        return _bad(
            "media_category", category, f"{media_type} does not fit media_category {category}"
        )
    too_big = _size_problem(len(data), category)
    if too_big:
        return _bad("media", f"{len(data)} bytes", too_big)
    with call.sandbox.lock:
        xs = _x(call)
        media = _new_media(call, xs, media_type, category, len(data), owners)
        media.segments[0] = len(data)
        media.finalized_at = call.now
        return JSONResponse({"data": render(media, xs, call.now)})


# --- metadata -------------------------------------------------------------------------------
async def metadata(call: Call) -> Response:
    body = await _json_body(call)
    if not isinstance(body, dict):
        return errors.invalid_request([{"message": "Request body is not valid JSON."}])
    media_id = body.get("id")
    if not (isinstance(media_id, str) and ID_RE.match(media_id)):
        return _bad("id", media_id, "id is required and must match ^[0-9]{1,19}$")
    meta = body.get("metadata", {})
    if not isinstance(meta, dict):
        return _bad("metadata", meta, "metadata must be an object")
    alt = meta.get("alt_text")
    if alt is not None:
        text = alt.get("text") if isinstance(alt, dict) else None
        if not isinstance(text, str):
            return _bad("metadata.alt_text.text", text, "alt_text.text is required")
        if len(text) > MAX_ALT_TEXT:
            return _bad(
                "metadata.alt_text.text", text[:40], "alt_text.text is over 1000 characters"
            )
    with call.sandbox.lock:
        xs = _x(call)
        found = _find(call, xs, media_id, "id")
        if isinstance(found, JSONResponse):
            return found
        found.metadata.update(meta)
        if isinstance(alt, dict):
            found.alt_text = str(alt["text"])
        return JSONResponse({"data": {"id": found.id, "associated_metadata": dict(found.metadata)}})


# --- posts ----------------------------------------------------------------------------------
def check_post_media(
    xs: XState, user_id: str, media_ids: list[str], now: float
) -> tuple[list[Media], JSONResponse | None]:
    """The media of a new post, or X's 400 when any id is unusable or the mix is not allowed."""
    found: list[Media] = []
    for media_id in media_ids:
        media = xs.media.get(media_id)
        if (
            media is None
            or not media.may_use(user_id)
            or media.media_category not in TWEET_CATEGORIES
            or not usable_in_post(media, xs, now)
        ):
            return [], _invalid_ids(media_ids)
        found.append(media)
    moving = [m for m in found if _kind(m.media_category) in ("video", "gif")]
    if moving and len(found) > 1:
        return [], _invalid_ids(media_ids)  # one video/GIF, alone; up to four images
    if len(set(media_ids)) != len(media_ids):
        return [], _invalid_ids(media_ids)
    return found, None


def _invalid_ids(media_ids: list[str]) -> JSONResponse:
    return errors.invalid_request(
        [{"parameters": {"media.media_ids": list(media_ids)}, "message": INVALID_MEDIA_ID}]
    )


def received_media(found: list[Media]) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "media_key": m.media_key,
            "media_type": m.media_type,
            "media_category": m.media_category,
            "size": m.total_bytes,
            "alt_text": m.alt_text,
        }
        for m in found
    ]
