"""Facebook Pages endpoints: /me/accounts, Page and post nodes, /feed, /photos, insights.

developers.facebook.com/docs/pages-api/posts, /docs/graph-api/reference/page/feed,
/docs/graph-api/reference/page/photos, /docs/graph-api/reference/insights.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.logs import ReceivedPost
from sandbox.common.network import Call
from sandbox.common.tokens import Token
from sandbox.facebook.oauth import page_token
from sandbox.facebook.state import (
    PAGE_COUNTS,
    PAGE_METRICS,
    POST_METRICS,
    FacebookState,
    FbPost,
    Page,
    Photo,
    TokenInfo,
)
from sandbox.meta.account_insights import day_ends, day_entry, float_param
from sandbox.meta.graph import graph_error, invalid_param, params_of, unsupported
from sandbox.meta.media import fetch_media


def _fs(call: Call) -> FacebookState:
    return call.sandbox.net("facebook", FacebookState)


def graph_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def iso_ms(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _token(call: Call) -> tuple[Token, TokenInfo]:
    assert call.principal is not None
    token = call.principal.token
    return token, _fs(call).token_info[token.value]


def visible_pages(fs: FacebookState, info: TokenInfo) -> set[str]:
    if info.kind == "page":
        return {info.page_id} if info.page_id else set()
    owned = {p.id for p in fs.user_pages(info.owner_id)}
    return set(info.pages) & owned


def _page_token_for(info: TokenInfo, page_id: str) -> bool:
    return info.kind == "page" and info.page_id == page_id


def page_access_required() -> JSONResponse:
    return graph_error("(#210) A page access token is required to request this resource.", 210)


def _page_json(
    fs: FacebookState, page: Page, fields: list[str], token: Token, now: float
) -> dict[str, Any]:
    wanted = fields or ["name", "id"]
    body: dict[str, Any] = {}
    for name in wanted:
        if name == "id":
            body["id"] = page.id
        elif name == "name":
            body["name"] = page.name
        elif name == "category":
            body["category"] = page.category
        elif name == "instagram_business_account" and page.instagram_business_account:
            body["instagram_business_account"] = {"id": page.instagram_business_account}
        elif name == "access_token":
            info = fs.token_info[token.value]
            body["access_token"] = (
                token.value if info.kind == "page" else page_token(fs, token, page, now).value
            )
        elif name == "link":
            body["link"] = f"https://www.facebook.com/{page.id}"
        elif name in PAGE_COUNTS:
            body[name] = page.figures.get(name, 0)
        elif name == "tasks":
            body["tasks"] = [
                "ADVERTISE",
                "ANALYZE",
                "CREATE_CONTENT",
                "MESSAGING",
                "MODERATE",
                "MANAGE",
            ]
    body.setdefault("id", page.id)
    return body


def post_json(fs: FacebookState, post: FbPost, fields: list[str]) -> dict[str, Any]:
    wanted = fields or ["created_time", "message", "id"]
    page = fs.pages[post.page_id]
    body: dict[str, Any] = {}
    for name in wanted:
        if name == "id":
            body["id"] = post.id
        elif name == "message" and post.message:
            body["message"] = post.message
        elif name == "created_time":
            body["created_time"] = graph_time(post.created_at)
        elif name == "updated_time":
            body["updated_time"] = graph_time(post.created_at)
        elif name == "permalink_url":
            body["permalink_url"] = (
                f"https://www.facebook.com/{post.page_id}/posts/{post.id.split('_', 1)[1]}"
            )
        elif name == "is_published":
            body["is_published"] = post.published
        elif name == "from":
            body["from"] = {"name": page.name, "id": page.id}
        elif name == "link" and post.link:
            body["link"] = post.link
        elif name == "status_type":
            body["status_type"] = (
                "added_photos"
                if post.photo_ids
                else ("shared_story" if post.link else "mobile_status_update")
            )
        elif name == "attachments" and (post.photo_ids or post.link):
            items: list[dict[str, Any]] = []
            if post.photo_ids:
                subs = [
                    {"media_type": "photo", "target": {"id": pid}, "url": fs.photos[pid].url}
                    for pid in post.photo_ids
                    if pid in fs.photos
                ]
                items.append(
                    {
                        "media_type": "album" if len(subs) > 1 else "photo",
                        "subattachments": {"data": subs},
                    }
                )
            else:
                items.append({"media_type": "link", "url": post.link})
            body["attachments"] = {"data": items}
        elif name == "shares":
            if post.counts.get("shares"):
                body["shares"] = {"count": post.counts["shares"]}
        elif name in ("reactions", "comments", "likes"):
            body[name] = {"data": [], "summary": {"total_count": post.counts.get(name, 0)}}
    body.setdefault("id", post.id)
    return body


def _resolve_me(object_id: str, info: TokenInfo) -> str:
    if object_id != "me":
        return object_id
    return info.page_id if info.kind == "page" and info.page_id else info.owner_id


async def accounts(call: Call) -> Response:
    token, info = _token(call)
    object_id = call.request.path_params["id"]
    params = params_of(call)
    with call.sandbox.lock:
        fs = _fs(call)
        if info.kind == "page":
            return graph_error(
                "(#100) Tried accessing nonexisting field (accounts) on node type (Page)", 100
            )
        if _resolve_me(object_id, info) != info.owner_id:
            return unsupported("GET", object_id)
        fields = params.fields() or ["access_token", "category", "name", "id", "tasks"]
        data = []
        for page in fs.user_pages(info.owner_id):
            if page.id in visible_pages(fs, info):
                body = _page_json(fs, page, fields, token, call.now)
                if "category" in fields:
                    body["category_list"] = [{"id": "2211", "name": page.category}]
                data.append(body)
    cursors = {"before": _cursor(data[0]["id"]), "after": _cursor(data[-1]["id"])} if data else {}
    return JSONResponse({"data": data, "paging": {"cursors": cursors}} if data else {"data": []})


def _cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _uncursor(value: str) -> str:
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


async def get_object(call: Call) -> Response:
    token, info = _token(call)
    params = params_of(call)
    fields = params.fields()
    with call.sandbox.lock:
        fs = _fs(call)
        object_id = _resolve_me(call.request.path_params["id"], info)
        pages = visible_pages(fs, info)
        if object_id in fs.users and info.kind == "user" and object_id == info.owner_id:
            user = fs.users[object_id]
            body: dict[str, Any] = {"id": user.id}
            if not fields or "name" in fields:
                body["name"] = user.name
            return JSONResponse(body)
        page = fs.pages.get(object_id)
        if page is not None and page.id in pages:
            return JSONResponse(_page_json(fs, page, fields, token, call.now))
        post = fs.live_post(object_id)
        if post is not None and post.page_id in pages:
            return JSONResponse(post_json(fs, post, fields))
        photo = fs.photos.get(object_id)
        if photo is not None and photo.page_id in pages:
            photo_body: dict[str, Any] = {
                "id": photo.id,
                "created_time": graph_time(photo.created_at),
                "link": f"https://www.facebook.com/photo.php?fbid={photo.id}",
            }
            if photo.caption:
                photo_body["name"] = photo.caption
            if photo.post_id:
                photo_body["page_story_id"] = photo.post_id
            return JSONResponse(photo_body)
    return unsupported("GET", object_id)


async def delete_object(call: Call) -> Response:
    _, info = _token(call)
    object_id = call.request.path_params["id"]
    with call.sandbox.lock:
        fs = _fs(call)
        post = fs.live_post(object_id)
        if post is not None and post.page_id in visible_pages(fs, info):
            if not _page_token_for(info, post.page_id):
                return page_access_required()
            post.deleted = True
            for pid in post.photo_ids:
                fs.photos.pop(pid, None)
            return JSONResponse({"success": True})
        photo = fs.photos.get(object_id)
        if photo is not None and photo.page_id in visible_pages(fs, info):
            if not _page_token_for(info, photo.page_id):
                return page_access_required()
            del fs.photos[object_id]
            if photo.post_id and photo.post_id in fs.posts:
                fs.posts[photo.post_id].deleted = True
            return JSONResponse({"success": True})
    return unsupported("DELETE", object_id)


def _media_ids(raw: list[str]) -> list[str]:
    ids = []
    for item in raw:
        value = item.strip()
        if value.startswith("{"):
            try:
                data = json.loads(value)
            except ValueError:
                data = {}
            value = str(data.get("media_fbid", "")) if isinstance(data, dict) else ""
        ids.append(value)
    return ids


def _writable_page(
    call: Call, info: TokenInfo, fs: FacebookState
) -> tuple[Page | None, Response | None]:
    page_id = _resolve_me(call.request.path_params["id"], info)
    page = fs.pages.get(page_id)
    if page is None or page.id not in visible_pages(fs, info):
        return None, unsupported("POST", page_id)
    if not _page_token_for(info, page.id):
        return None, page_access_required()
    return page, None


def _blocked() -> JSONResponse:
    return graph_error(
        "It looks like you were misusing this feature by going too fast. You've been temporarily "
        "blocked from using it.",
        368,
        user_title="Action Blocked",
        user_msg="You can't post right now. Try again later.",
    )


def _record(call: Call, fs: FacebookState, post: FbPost) -> None:
    page = fs.pages[post.page_id]
    call.sandbox.logs.record_post(
        ReceivedPost(
            network="facebook",
            user=page.name,
            user_id=page.id,
            id=post.id,
            text=post.message,
            created_at=iso_ms(post.created_at),
            media_ids=list(post.photo_ids),
            extra={
                "page_id": page.id,
                "link": post.link,
                "photo_urls": [fs.photos[p].url for p in post.photo_ids if p in fs.photos],
                "owner": fs.users[page.owner_id].username,
            },
        )
    )


async def create_feed(call: Call) -> Response:
    _, info = _token(call)
    params = params_of(call)
    message = params.get("message") or ""
    link = params.get("link") or None
    published = params.flag("published", True)
    media = _media_ids(params.list_param("attached_media"))
    now = call.now
    with call.sandbox.lock:
        fs = _fs(call)
        cfg = fs.config
        page, problem = _writable_page(call, info, fs)
        if problem is not None or page is None:
            return problem or unsupported("POST", "")
        if not message.strip() and not link and not media:
            return invalid_param("Missing message or attachment")
        if len(message) > cfg.max_message_length:
            return invalid_param(
                f"Param message must be at most {cfg.max_message_length} characters long."
            )
        if link and not link.startswith(("http://", "https://")):
            return invalid_param("link URL is not properly formatted")
        for index, media_id in enumerate(media):
            photo = fs.photos.get(media_id)
            if photo is None or photo.page_id != page.id or photo.published or photo.post_id:
                return invalid_param(
                    f"param attached_media[{index}] must be a valid unpublished photo id"
                )
        if cfg.blocked:
            return _blocked()
        if published and message.strip():
            for other in fs.posts.values():
                if (
                    other.page_id == page.id
                    and not other.deleted
                    and other.published
                    and other.message == message
                    and other.link == link
                    and now - other.created_at < cfg.duplicate_window_seconds
                ):
                    if cfg.duplicate_code == 368:
                        return _blocked()
                    return graph_error("(#506) Duplicate status message", 506)
        post = FbPost(
            id=f"{page.id}_{fs.ids.next()}",
            page_id=page.id,
            message=message,
            link=link,
            created_at=now,
            published=published,
            photo_ids=media,
        )
        fs.posts[post.id] = post
        for media_id in media:
            fs.photos[media_id].post_id = post.id
        if published:
            _record(call, fs, post)
        return JSONResponse({"id": post.id})


async def create_photo(call: Call) -> Response:
    _, info = _token(call)
    params = params_of(call)
    url = params.get("url")
    upload = params.files.get("source")
    caption = params.get("caption") or params.get("message") or ""
    published = params.flag("published", True)
    with call.sandbox.lock:
        fs = _fs(call)
        page, problem = _writable_page(call, info, fs)
        if problem is not None or page is None:
            return problem or unsupported("POST", "")
        timeout = fs.config.media_fetch_timeout
    if upload is not None:
        data = await upload.read()
        ok = bool(data) and (upload.content_type or "").startswith("image/")
    elif url:
        ok = await fetch_media(url, "image", timeout, 10 * 1024 * 1024) is None
    else:
        ok = False
    if not ok:
        return (
            graph_error("(#324) Requires upload file", 324)
            if not (url or upload)
            else graph_error("(#324) Missing or invalid image file", 324)
        )
    now = call.now
    with call.sandbox.lock:
        fs = _fs(call)
        if fs.config.blocked:
            return _blocked()
        photo = Photo(
            id=fs.ids.next(),
            page_id=page.id,
            url=url,
            caption=caption,
            published=published,
            created_at=now,
            upload_name=upload.filename if upload is not None else None,
        )
        fs.photos[photo.id] = photo
        if not published:
            return JSONResponse({"id": photo.id})
        post = FbPost(
            id=f"{page.id}_{fs.ids.next()}",
            page_id=page.id,
            message=caption,
            link=None,
            created_at=now,
            published=True,
            photo_ids=[photo.id],
        )
        photo.post_id = post.id
        fs.posts[post.id] = post
        _record(call, fs, post)
        return JSONResponse({"id": photo.id, "post_id": post.id})


async def list_posts(call: Call) -> Response:
    _, info = _token(call)
    params = params_of(call)
    try:
        limit = min(max(int(params.get("limit") or "25"), 1), 100)
    except ValueError:
        limit = 25
    with call.sandbox.lock:
        fs = _fs(call)
        page_id = _resolve_me(call.request.path_params["id"], info)
        page = fs.pages.get(page_id)
        if page is None or page.id not in visible_pages(fs, info):
            return unsupported("GET", page_id)
        posts = sorted(
            (
                p
                for p in fs.posts.values()
                if p.page_id == page.id and not p.deleted and p.published
            ),
            key=lambda p: (p.created_at, p.id),
            reverse=True,
        )
        after = _uncursor(params.get("after") or "")
        if after:
            ids = [p.id for p in posts]
            posts = posts[ids.index(after) + 1 :] if after in ids else []
        chunk = posts[:limit]
        data = [post_json(fs, p, params.fields()) for p in chunk]
    body: dict[str, Any] = {"data": data}
    if chunk:
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(chunk[0].id), "after": _cursor(chunk[-1].id)}
        }
        if len(posts) > limit:
            base = str(call.request.url).split("?")[0]
            paging["next"] = f"{base}?limit={limit}&after={_cursor(chunk[-1].id)}"
        body["paging"] = paging
    return JSONResponse(body)


async def insights(call: Call) -> Response:
    _, info = _token(call)
    params = params_of(call)
    metrics = params.list_param("metric")
    with call.sandbox.lock:
        fs = _fs(call)
        object_id = call.request.path_params["id"]
        page = fs.pages.get(object_id)
        if page is not None and page.id in visible_pages(fs, info):
            return page_insights(call, page, metrics)
        post = fs.live_post(object_id)
        if post is None or post.page_id not in visible_pages(fs, info):
            return unsupported("GET", object_id)
        if not metrics:
            return graph_error("(#100) No metric was specified to be fetched", 100, subcode=1504028)
        for index, name in enumerate(metrics):
            if name not in POST_METRICS:
                return invalid_param(
                    f"metric[{index}] must be one of the following values: {', '.join(POST_METRICS)}"
                )
        data = []
        for name in metrics:
            title, description = POST_METRICS[name]
            default: Any = {} if name.endswith("_by_type_total") or name.endswith("_by_type") else 0
            data.append(
                {
                    "name": name,
                    "period": "lifetime",
                    "values": [{"value": post.metrics.get(name, default)}],
                    "title": title,
                    "description": description,
                    "id": f"{post.id}/insights/{name}/lifetime",
                }
            )
    return JSONResponse({"data": data, "paging": {"previous": "", "next": ""}})


def page_insights(call: Call, page: Page, metrics: list[str]) -> Response:
    """GET /{page-id}/insights?metric=…&period=day: the Page's figures for each day asked."""
    params = params_of(call)
    if not metrics:
        return graph_error("(#100) No metric was specified to be fetched", 100, subcode=1504028)
    for index, name in enumerate(metrics):
        if name not in PAGE_METRICS:
            return invalid_param(
                f"metric[{index}] must be one of the following values: {', '.join(PAGE_METRICS)}"
            )
    if (params.get("period") or "day") != "day":
        return invalid_param("period must be day for these metrics")
    ends = day_ends(call.now, float_param(params.get("since")), float_param(params.get("until")))
    data = [
        day_entry(page.id, name, page.figures.get(name, 0), ends, *PAGE_METRICS[name])
        for name in metrics
    ]
    return JSONResponse({"data": data, "paging": {"previous": "", "next": ""}})
