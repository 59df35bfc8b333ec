"""LinkedIn REST endpoints: identity, organizations, Posts API, Images API, statistics."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.logs import ReceivedPost
from sandbox.common.network import Call
from sandbox.linkedin import errors, little
from sandbox.linkedin.state import Image, LinkedInState, Member, Post

VISIBILITIES = ("PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER")
LIFECYCLE_STATES = ("PUBLISHED", "DRAFT")
FEED_DISTRIBUTIONS = ("MAIN_FEED", "NONE")
POST_FIELDS = {
    "author",
    "commentary",
    "visibility",
    "distribution",
    "content",
    "lifecycleState",
    "isReshareDisabledByAuthor",
    "contentLandingPage",
    "contentCallToActionLabel",
    "adContext",
    "container",
    "reshareContext",
}
IMAGE_URN = re.compile(r"^urn:li:image:([A-Za-z0-9_-]+)$")
POST_URN = re.compile(r"^urn:li:(share|ugcPost):[0-9]+$")


def _li(call: Call) -> LinkedInState:
    return call.sandbox.net("linkedin", LinkedInState)


def _member(call: Call) -> Member:
    assert call.principal is not None and call.principal.user_id is not None
    return _li(call).members[call.principal.user_id]


def _scopes(call: Call) -> tuple[str, ...]:
    return call.principal.token.scopes if call.principal else ()


def version_tag(call: Call) -> str:
    raw = call.request.headers.get("linkedin-version", "").strip()
    return f"{raw}01" if re.fullmatch(r"[0-9]{6}", raw) else raw or "NO_VERSION"


def _denied(call: Call, resource: str, method: str) -> JSONResponse:
    return errors.access_denied(f"{resource}.{method}.{version_tag(call)}")


def base_url(call: Call) -> str:
    return str(call.request.base_url).rstrip("/") + "/linkedin"


def ms(ts: float) -> int:
    return int(ts * 1000)


def _paging(start: int, count: int, total: int) -> dict[str, Any]:
    return {"start": start, "count": count, "links": [], "total": total}


def _int_param(call: Call, name: str, default: int) -> int | None:
    raw = call.request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return None


# --- identity and organizations ------------------------------------------------------------


async def userinfo(call: Call) -> Response:
    """``GET /v2/userinfo`` (OpenID Connect; unversioned, needs ``openid`` and ``profile``)."""
    if not {"openid", "profile"} <= set(_scopes(call)):
        return errors.access_denied("userinfo.GET.NO_VERSION")
    with call.sandbox.lock:
        member = _member(call)
        body: dict[str, Any] = {
            "sub": member.id,
            "email_verified": True,
            "name": member.name,
            "locale": {"country": "DE", "language": "de"},
            "given_name": member.given_name,
            "family_name": member.family_name,
            "picture": f"{base_url(call)}/media/profile/{member.id}.png",
        }
        if "email" in _scopes(call):
            body["email"] = member.email
        else:
            del body["email_verified"]
    return JSONResponse(body)


async def organization_acls(call: Call) -> Response:
    params = call.request.query_params
    if params.get("q") != "roleAssignee":
        return errors.bad_request("Invalid query parameters passed to request")
    role = params.get("role")
    state = params.get("state")
    start = _int_param(call, "start", 0)
    count = _int_param(call, "count", 10)
    if start is None or count is None or start < 0 or count < 0:
        return errors.bad_request("Invalid value for param start or count")
    with call.sandbox.lock:
        li = _li(call)
        member = _member(call)
        rows = [
            {
                "roleAssignee": member.urn,
                "state": "APPROVED",
                "role": "ADMINISTRATOR",
                "organization": urn,
            }
            for urn in li.admin_urns(member)
        ]
    rows = [r for r in rows if (role is None or r["role"] == role)]
    rows = [r for r in rows if (state is None or r["state"] == state)]
    page = rows[start : start + count]
    return JSONResponse({"paging": _paging(start, count, len(rows)), "elements": page})


def organization_json(org_id: str, name: str, vanity: str) -> dict[str, Any]:
    return {
        "id": int(org_id),
        "$URN": f"urn:li:organization:{org_id}",
        "localizedName": name,
        "vanityName": vanity,
        "name": {
            "localized": {"de_DE": name},
            "preferredLocale": {"country": "DE", "language": "de"},
        },
        "primaryOrganizationType": "NONE",
        "localizedWebsite": f"https://{vanity}.example",
        "locations": [],
    }


async def get_organization(call: Call) -> Response:
    org_id = call.request.path_params["id"]
    with call.sandbox.lock:
        org = _li(call).organizations.get(org_id)
        if org is None:
            return errors.not_found(f"Organization {org_id} not found")
        return JSONResponse(organization_json(org.id, org.name, org.vanity_name))


# --- Posts API -----------------------------------------------------------------------------


def _may_act_as(call: Call, li: LinkedInState, author: str, write: bool) -> bool:
    member = _member(call)
    scopes = _scopes(call)
    if author == member.urn:
        return ("w_member_social" if write else "r_member_social") in scopes
    if li.org_by_urn(author) is None or author not in li.admin_urns(member):
        return False
    wanted = (
        ("w_organization_social",) if write else ("r_organization_social", "w_organization_social")
    )
    return any(s in scopes for s in wanted)


def _validate(body: Any, max_len: int) -> list[tuple[str, str, str | None]]:
    if not isinstance(body, dict):
        return [("INVALID_VALUE", "Request body must be a JSON object", None)]
    problems: list[tuple[str, str, str | None]] = []
    for key in body:
        if key not in POST_FIELDS:
            problems.append(("UNRECOGNIZED_FIELD", f"Unrecognized field '{key}'", f"/{key}"))
    for key in ("author", "visibility", "lifecycleState", "distribution"):
        if key not in body:
            problems.append(("FIELD_REQUIRED", f"Field '{key}' is required", f"/{key}"))
    if "author" in body and not (
        isinstance(body["author"], str)
        and re.fullmatch(r"urn:li:(person|organization):[A-Za-z0-9_-]+", body["author"])
    ):
        problems.append(
            ("INVALID_URN_TYPE", "author must be a person or organization URN", "/author")
        )
    if "visibility" in body and body["visibility"] not in VISIBILITIES:
        problems.append(("INVALID_ENUM_VALUE", "Invalid visibility", "/visibility"))
    if "lifecycleState" in body and body["lifecycleState"] not in LIFECYCLE_STATES:
        problems.append(("INVALID_ENUM_VALUE", "Invalid lifecycleState", "/lifecycleState"))
    if "commentary" in body:
        text = body["commentary"]
        if not isinstance(text, str):
            problems.append(("INVALID_VALUE", "commentary must be a string", "/commentary"))
        elif len(text) > max_len:
            problems.append(
                (
                    "MAX_LENGTH_EXCEEDED",
                    f"commentary length {len(text)} exceeds the maximum of {max_len}",
                    "/commentary",
                )
            )
    if "isReshareDisabledByAuthor" in body and not isinstance(
        body["isReshareDisabledByAuthor"], bool
    ):
        problems.append(("INVALID_VALUE", "must be a boolean", "/isReshareDisabledByAuthor"))
    dist = body.get("distribution")
    if "distribution" in body:
        if not isinstance(dist, dict) or dist.get("feedDistribution") not in FEED_DISTRIBUTIONS:
            problems.append(
                ("INVALID_VALUE", "distribution.feedDistribution is required", "/distribution")
            )
        else:
            for key in ("targetEntities", "thirdPartyDistributionChannels"):
                if key in dist and not isinstance(dist[key], list):
                    problems.append(
                        ("INVALID_VALUE", f"{key} must be an array", f"/distribution/{key}")
                    )
    return problems


def _content_images(content: Any) -> tuple[list[str], str | None]:
    """Image URNs a post's ``content`` references, or a problem description."""
    if content is None:
        return [], None
    if not isinstance(content, dict) or len(content) != 1:
        return [], "content must hold exactly one of media, multiImage, article, poll"
    kind, value = next(iter(content.items()))
    if kind == "media":
        if not isinstance(value, dict) or not isinstance(value.get("id"), str):
            return [], "content.media.id is required"
        media_id = value["id"]
        if media_id.startswith("urn:li:image:"):
            return [media_id], None
        if re.fullmatch(r"urn:li:(video|document):[A-Za-z0-9_-]+", media_id):
            return [], "video and document media are not emulated"
        return [], "content.media.id must be an image, video or document URN"
    if kind == "multiImage":
        images = value.get("images") if isinstance(value, dict) else None
        if not isinstance(images, list) or not all(
            isinstance(i, dict) and isinstance(i.get("id"), str) for i in images
        ):
            return [], "content.multiImage.images must be a list of {id}"
        return [str(i["id"]) for i in images], None
    if kind in ("article", "poll"):
        return [], None
    return [], f"unsupported content type '{kind}'"


def _duplicate_of(li: LinkedInState, post: Post, now: float) -> Post | None:
    cfg = li.config
    for other in li.posts.values():
        if other.deleted and not cfg.duplicates_include_deleted:
            continue
        if (
            other.author == post.author
            and other.commentary == post.commentary
            and other.media == post.media
            and now - other.created_at < cfg.duplicate_window_seconds
        ):
            return other
    return None


async def create_post(call: Call) -> Response:
    raw = await call.request.body()
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return errors.bad_request("Request body is not valid JSON")
    with call.sandbox.lock:
        li = _li(call)
        problems = _validate(body, li.config.max_commentary_length)
        if problems:
            return errors.input_errors("Request validation failed", problems)
        author = body["author"]
        if not _may_act_as(call, li, author, write=True):
            return _denied(call, "partnerApiPostsExternal", "CREATE")
        images, problem = _content_images(body.get("content"))
        if problem:
            return errors.input_errors(problem, [("INVALID_VALUE", problem, "/content")])
        if len(images) > li.config.max_multi_images or (
            "multiImage" in (body.get("content") or {}) and len(images) < 2
        ):
            message = f"multiImage needs 2 to {li.config.max_multi_images} images"
            return errors.input_errors(message, [("INVALID_VALUE", message, "/content")])
        now = call.now
        for urn in images:
            match = IMAGE_URN.match(urn)
            image = li.images.get(match.group(1)) if match else None
            if image is None:
                return errors.input_errors(
                    f"Image {urn} does not exist", [("INVALID_VALUE", urn, "/content")]
                )
            if image.status(now) != "AVAILABLE":
                message = (
                    f"Image {urn} is not in AVAILABLE status (status {image.status(now)}); "
                    "wait until processing finishes"
                )
                return errors.input_errors(message, [("INVALID_VALUE", message, "/content")])
        sent = body.get("commentary", "")
        if not sent.strip() and not body.get("content"):
            message = "commentary is required for a post without content"
            return errors.input_errors(message, [("FIELD_REQUIRED", message, "/commentary")])
        parsed = little.parse(sent)
        kind = "ugcPost" if body.get("content") else "share"
        post = Post(
            urn=f"urn:li:{kind}:{li.ids.next()}",
            author=author,
            commentary=parsed.stored,
            sent_commentary=sent,
            visibility=body["visibility"],
            distribution=body["distribution"],
            lifecycle_state=body["lifecycleState"],
            reshare_disabled=bool(body.get("isReshareDisabledByAuthor", False)),
            content=body.get("content"),
            created_at=now,
            member_id=_member(call).urn,
            media=images,
        )
        existing = _duplicate_of(li, post, now)
        if existing is not None:
            return errors.duplicate(existing.urn)
        li.posts[post.urn] = post
        member = _member(call)
        call.sandbox.logs.record_post(
            ReceivedPost(
                network="linkedin",
                user=member.username,
                user_id=member.urn,
                id=post.urn,
                text=post.commentary,
                created_at=_iso(now),
                media_ids=images,
                extra={
                    "author": author,
                    "sent_commentary": sent,
                    "rendered": parsed.rendered,
                    "truncated": parsed.truncated,
                    "truncated_at": parsed.truncated_at,
                    "visibility": post.visibility,
                    "lifecycleState": post.lifecycle_state,
                    "distribution": post.distribution,
                    "content": post.content,
                    "isReshareDisabledByAuthor": post.reshare_disabled,
                    "linkedin_version": call.request.headers.get("linkedin-version"),
                },
            )
        )
    return Response(status_code=201, headers={"x-restli-id": post.urn, "x-linkedin-id": post.urn})


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms(ts) % 1000:03d}Z"


def post_json(post: Post) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": post.urn,
        "author": post.author,
        "commentary": post.commentary,
        "visibility": post.visibility,
        "distribution": post.distribution,
        "lifecycleState": post.lifecycle_state,
        "lifecycleStateInfo": {"isEditedByAuthor": False},
        "isReshareDisabledByAuthor": post.reshare_disabled,
        "createdAt": ms(post.created_at),
        "lastModifiedAt": ms(post.created_at),
        "publishedAt": ms(post.created_at),
    }
    if post.content is not None:
        data["content"] = post.content
    return data


async def get_post(call: Call) -> Response:
    urn = call.request.path_params["urn"]
    with call.sandbox.lock:
        li = _li(call)
        post = li.live_post(urn)
        if post is None:
            return errors.not_found(f"Post {urn} does not exist")
        if not _may_act_as(call, li, post.author, write=False):
            return _denied(call, "partnerApiPostsExternal", "GET")
        return JSONResponse(post_json(post))


async def delete_post(call: Call) -> Response:
    urn = call.request.path_params["urn"]
    with call.sandbox.lock:
        li = _li(call)
        post = li.live_post(urn)
        if post is None:
            return errors.not_found(f"Post {urn} does not exist")
        if not _may_act_as(call, li, post.author, write=True):
            return _denied(call, "partnerApiPostsExternal", "DELETE")
        post.deleted = True
    return Response(status_code=204)


async def find_posts(call: Call) -> Response:
    params = call.request.query_params
    if params.get("q") != "author" or not params.get("author"):
        return errors.bad_request("Invalid query parameters passed to request")
    author = params["author"]
    start = _int_param(call, "start", 0)
    count = _int_param(call, "count", 10)
    if start is None or count is None or start < 0 or not 0 <= count <= 100:
        return errors.bad_request("Invalid value for param start or count")
    with call.sandbox.lock:
        li = _li(call)
        if not _may_act_as(call, li, author, write=False):
            return _denied(call, "partnerApiPostsExternal", "FINDER-author")
        posts = sorted(
            (p for p in li.posts.values() if p.author == author and not p.deleted),
            key=lambda p: int(p.urn.rsplit(":", 1)[1]),
            reverse=True,
        )
        page = [post_json(p) for p in posts[start : start + count]]
    return JSONResponse({"paging": _paging(start, count, len(posts)), "elements": page})


# --- Images API ----------------------------------------------------------------------------


async def images_action(call: Call) -> Response:
    if call.request.query_params.get("action") != "initializeUpload":
        return errors.bad_request("Unsupported action; use action=initializeUpload")
    raw = await call.request.body()
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return errors.bad_request("Request body is not valid JSON")
    request = body.get("initializeUploadRequest") if isinstance(body, dict) else None
    owner = request.get("owner") if isinstance(request, dict) else None
    if not isinstance(owner, str):
        message = "initializeUploadRequest.owner is required"
        return errors.input_errors(
            message, [("FIELD_REQUIRED", message, "/initializeUploadRequest/owner")]
        )
    with call.sandbox.lock:
        li = _li(call)
        if not _may_act_as(call, li, owner, write=True):
            return _denied(call, "images", "ACTION-initializeUpload")
        image_id = "D4E10AQ" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
        now = call.now
        image = Image(
            id=image_id, owner=owner, upload_token=secrets.token_urlsafe(24), created_at=now
        )
        li.images[image_id] = image
        upload_url = f"{base_url(call)}/dms-uploads/{image_id}?token={image.upload_token}"
    return JSONResponse(
        {
            "value": {
                "uploadUrlExpiresAt": ms(now + 24 * 3600),
                "uploadUrl": upload_url,
                "image": image.urn,
            }
        }
    )


async def upload_image(call: Call) -> Response:
    image_id = call.request.path_params["image_id"]
    data = await call.request.body()
    with call.sandbox.lock:
        li = _li(call)
        image = li.images.get(image_id)
        token = call.request.query_params.get("token", "")
        if image is None or not secrets.compare_digest(image.upload_token, token):
            return errors.not_found("Upload URL is invalid or expired")
        if not data:
            return errors.bad_request("Empty upload body")
        now = call.now
        image.data = data
        image.content_type = call.request.headers.get("content-type", "application/octet-stream")
        image.uploaded_at = now
        image.ready_at = now + li.config.image_processing_seconds
    return Response(status_code=201)


def image_json(call: Call, image: Image, now: float) -> dict[str, Any]:
    status = image.status(now)
    data: dict[str, Any] = {"owner": image.owner, "id": image.urn, "status": status}
    if image.uploaded_at is not None:
        data["uploadedAt"] = ms(image.uploaded_at)
    if status == "AVAILABLE":
        data["downloadUrl"] = f"{base_url(call)}/media/images/{image.id}"
        data["downloadUrlExpiresAt"] = ms(now + 24 * 3600)
    return data


async def get_image(call: Call) -> Response:
    urn = call.request.path_params["urn"]
    match = IMAGE_URN.match(urn)
    with call.sandbox.lock:
        li = _li(call)
        image = li.images.get(match.group(1)) if match else None
        if image is None:
            return errors.not_found(f"Image {urn} does not exist")
        if not _may_act_as(call, li, image.owner, write=False) and not _may_act_as(
            call, li, image.owner, write=True
        ):
            return _denied(call, "images", "GET")
        return JSONResponse(image_json(call, image, call.now))


async def download_image(call: Call) -> Response:
    with call.sandbox.lock:
        image = _li(call).images.get(call.request.path_params["image_id"])
        if image is None or image.status(call.now) != "AVAILABLE":
            return errors.not_found()
        return Response(image.data, media_type=image.content_type)


# --- statistics ----------------------------------------------------------------------------


def parse_list(raw: str | None) -> list[str]:
    """Rest.li 2.0 ``List(a,b)`` (values already URL-decoded by the query parser)."""
    if not raw:
        return []
    raw = raw.strip()
    if raw.startswith("List(") and raw.endswith(")"):
        raw = raw[5:-1]
    return [v.strip() for v in raw.split(",") if v.strip()]


def totals(post: Post) -> dict[str, Any]:
    m = post.metrics
    data: dict[str, Any] = {
        "uniqueImpressionsCount": int(m.get("uniqueImpressionsCount", 0)),
        "shareCount": int(m.get("shareCount", 0)),
        "engagement": 0.0,
        "clickCount": int(m.get("clickCount", 0)),
        "likeCount": int(m.get("likeCount", 0)),
        "impressionCount": int(m.get("impressionCount", 0)),
        "commentCount": int(m.get("commentCount", 0)),
    }
    if "engagement" in m:
        data["engagement"] = float(m["engagement"])
    elif data["impressionCount"]:
        acted = data["clickCount"] + data["likeCount"] + data["commentCount"] + data["shareCount"]
        data["engagement"] = acted / data["impressionCount"]
    return data


async def share_statistics(call: Call) -> Response:
    params = call.request.query_params
    entity = params.get("organizationalEntity", "")
    if params.get("q") != "organizationalEntity" or not entity:
        return errors.bad_request("Invalid query parameters passed to request")
    with call.sandbox.lock:
        li = _li(call)
        member = _member(call)
        if li.org_by_urn(entity) is None or entity not in li.admin_urns(member):
            return _denied(
                call, "organizationalEntityShareStatistics", "FINDER-organizationalEntity"
            )
        wanted = [("share", u) for u in parse_list(params.get("shares"))]
        wanted += [("ugcPost", u) for u in parse_list(params.get("ugcPosts"))]
        elements: list[dict[str, Any]] = []
        if not wanted:
            aggregate = Post("", entity, "", "", "", {}, "", False, None, 0, "")
            for post in li.posts.values():
                if post.author == entity and not post.deleted:
                    for key, value in post.metrics.items():
                        if key != "engagement":
                            aggregate.metrics[key] = aggregate.metrics.get(key, 0) + value
            elements.append(
                {"totalShareStatistics": totals(aggregate), "organizationalEntity": entity}
            )
        for key, urn in wanted:
            found = li.posts.get(urn)
            if found is None or found.deleted or found.author != entity:
                continue
            elements.append(
                {"totalShareStatistics": totals(found), key: urn, "organizationalEntity": entity}
            )
    return JSONResponse({"paging": _paging(0, 10, len(elements)), "elements": elements})


async def social_actions(call: Call) -> Response:
    urn = call.request.path_params["urn"]
    with call.sandbox.lock:
        li = _li(call)
        post = li.live_post(urn)
        if post is None:
            return errors.not_found(f"Post {urn} does not exist")
        if not _may_act_as(call, li, post.author, write=False):
            return _denied(call, "socialActions", "GET")
        likes = int(post.metrics.get("likeCount", 0))
        comments = int(post.metrics.get("commentCount", 0))
    return JSONResponse(
        {
            "$URN": f"urn:li:socialActions:{urn}",
            "target": urn,
            "likesSummary": {
                "selectedLikes": [],
                "aggregatedTotalLikes": likes,
                "likedByCurrentUser": False,
                "totalLikes": likes,
            },
            "commentsSummary": {
                "selectedComments": [],
                "totalFirstLevelComments": comments,
                "commentsState": "OPEN",
                "aggregatedTotalComments": comments,
            },
        }
    )
