"""Threads publishing, reading, deleting and insights.

developers.facebook.com/docs/threads/posts, /docs/threads/overview (limits),
/docs/threads/troubleshooting (container status), /docs/threads/posts/delete-posts,
/docs/threads/insights.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.logs import ReceivedPost
from sandbox.common.network import Call
from sandbox.instagram.api import builder_gone, container_expired, not_ready
from sandbox.meta.graph import graph_error, invalid_param, params_of, unsupported
from sandbox.meta.media import ERROR, EXPIRED, IN_PROGRESS, PUBLISHED, Container, start_fetch
from sandbox.threads.counting import threads_length
from sandbox.threads.state import MEDIA_METRICS, ThreadsMedia, ThreadsState, ThreadsUser

URL = re.compile(r"(?:https?://|www\.)[^\s]+", re.IGNORECASE)
TYPES = ("TEXT", "IMAGE", "VIDEO", "CAROUSEL")


def _ts(call: Call) -> ThreadsState:
    return call.sandbox.net("threads", ThreadsState)


def graph_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def iso_ms(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _me(call: Call, method: str) -> tuple[ThreadsUser | None, Response | None]:
    assert call.principal is not None
    ts = _ts(call)
    wanted = call.request.path_params["id"]
    user_id = call.principal.user_id
    if wanted in ("me", user_id) and user_id in ts.users:
        return ts.users[user_id], None
    return None, unsupported(method, wanted)


def status_of(ts: ThreadsState, container: Container, now: float) -> str:
    return container.status(now, ts.config.container_expire_seconds, ts.containers.get)


def quota_exceeded(what: str, total: int) -> JSONResponse:
    return graph_error(
        f"Application request limit reached: the profile reached its {what} limit of {total} per "
        "24 hours",
        9,
        subcode=2207042,
        user_title="Publishing limit reached",
        user_msg=f"You reached the maximum number of {what} allowed in 24 hours.",
        transient=False,
    )


async def create_container(call: Call) -> Response:
    params = params_of(call)
    now = call.now
    with call.sandbox.lock:
        user, problem = _me(call, "POST")
        if problem is not None or user is None:
            return problem or unsupported("POST", "")
        ts = _ts(call)
        cfg = ts.config
        media_type = (params.get("media_type") or "").upper()
        if media_type not in TYPES:
            return invalid_param(f"Param media_type must be one of {{{', '.join(TYPES)}}}")
        text = params.get("text") or ""
        carousel_item = params.flag("is_carousel_item", False)
        image_url = params.get("image_url")
        video_url = params.get("video_url")
        children: list[str] = []
        if media_type == "TEXT" and not text.strip() and not params.get("text_attachment"):
            return invalid_param("Param text is required for media_type TEXT")
        if media_type == "IMAGE" and not image_url:
            return invalid_param("Param image_url is required for media_type IMAGE")
        if media_type == "VIDEO" and not video_url:
            return invalid_param("Param video_url is required for media_type VIDEO")
        if media_type == "CAROUSEL":
            children = params.list_param("children")
            if not cfg.carousel_min <= len(children) <= cfg.carousel_max:
                return invalid_param(
                    f"A carousel must have between {cfg.carousel_min} and {cfg.carousel_max} children"
                )
            for child_id in children:
                child = ts.containers.get(child_id)
                if (
                    child is None
                    or child.owner_id != user.id
                    or not child.is_carousel_item
                    or child.published_media_id is not None
                ):
                    return invalid_param(
                        f"Param children contains an invalid container: {child_id}"
                    )
        if carousel_item and media_type not in ("IMAGE", "VIDEO"):
            return invalid_param("Only IMAGE and VIDEO containers can be carousel items")
        length = threads_length(text)
        if length > cfg.text_max:
            return invalid_param(
                f"Param text must be at most {cfg.text_max} characters long (emoji count as their "
                f"UTF-8 byte length); it counts {length}."
            )
        links = {m.group(0).rstrip(".,;:!?)") for m in URL.finditer(text)}
        if params.get("link_attachment"):
            links.add(params.get("link_attachment") or "")
        if len(links) > cfg.links_max:
            return graph_error(
                f"THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most {cfg.links_max} links.",
                100,
                user_title="THREADS_API__LINK_LIMIT_EXCEEDED",
            )
        reply_to = params.get("reply_to_id")
        if reply_to and ts.live_media(reply_to) is None:
            return invalid_param(f"Param reply_to_id {reply_to} is not a valid Threads media id")
        quote = params.get("quote_post_id")
        if quote and ts.live_media(quote) is None:
            return invalid_param(f"Param quote_post_id {quote} is not a valid Threads media id")
        delay = {
            "TEXT": cfg.text_processing_seconds,
            "IMAGE": cfg.image_processing_seconds,
            "VIDEO": cfg.video_processing_seconds,
            "CAROUSEL": 0.0,
        }[media_type]
        container = Container(
            id=ts.ids.next(),
            owner_id=user.id,
            media_type=media_type,
            text=text,
            created_at=now,
            ready_at=now + delay,
            image_url=image_url if media_type == "IMAGE" else None,
            video_url=video_url if media_type == "VIDEO" else None,
            is_carousel_item=carousel_item,
            children=children,
            reply_to_id=reply_to or None,
            params={k: v for k, v in params.values.items() if k != "access_token"},
        )
        ts.containers[container.id] = container
        url = container.image_url or container.video_url
        if url:
            is_video = media_type == "VIDEO"
            start_fetch(
                call.sandbox.lock,
                container,
                url,
                "video" if is_video else "image",
                cfg.fetch_timeout,
                cfg.image_max_bytes if not is_video else 1024**3,
                lambda reason: "FAILED_DOWNLOADING_VIDEO" if is_video else "UNKNOWN",
            )
        return JSONResponse({"id": container.id})


def _shortcode() -> str:
    alphabet = string.ascii_letters + string.digits + "_-"
    return "".join(secrets.choice(alphabet) for _ in range(11))


def _media(ts: ThreadsState, container: Container, now: float, child: bool) -> ThreadsMedia:
    kind = {"TEXT": "TEXT_POST", "CAROUSEL": "CAROUSEL_ALBUM"}.get(
        container.media_type, container.media_type
    )
    media = ThreadsMedia(
        id=ts.ids.next(),
        owner_id=container.owner_id,
        media_type=kind,
        text=container.text,
        media_url=container.image_url or container.video_url,
        shortcode=_shortcode(),
        timestamp=now,
        container_id=container.id,
        reply_to_id=container.reply_to_id,
        quote_post_id=container.params.get("quote_post_id") or None,
        is_child=child,
    )
    ts.media[media.id] = media
    container.published_media_id = media.id
    return media


def permalink(ts: ThreadsState, media: ThreadsMedia) -> str:
    username = ts.users[media.owner_id].username if media.owner_id in ts.users else "_"
    return f"https://www.threads.net/@{username}/post/{media.shortcode}"


async def publish(call: Call) -> Response:
    params = params_of(call)
    creation_id = params.get("creation_id") or ""
    now = call.now
    with call.sandbox.lock:
        user, problem = _me(call, "POST")
        if problem is not None or user is None:
            return problem or unsupported("POST", "")
        ts = _ts(call)
        cfg = ts.config
        if not creation_id:
            return invalid_param("Param creation_id is required")
        container = ts.containers.get(creation_id)
        if container is None or container.owner_id != user.id:
            return builder_gone(creation_id)
        status = status_of(ts, container, now)
        if status == PUBLISHED:
            if cfg.republish == "return_existing" and container.published_media_id:
                return JSONResponse({"id": container.published_media_id})
            return builder_gone(creation_id)
        if container.is_carousel_item:
            return invalid_param("A carousel item container cannot be published on its own")
        window = cfg.quota_duration
        if container.reply_to_id:
            if ts.replies_quota.usage(user.id, now, window) >= cfg.reply_quota_total:
                return quota_exceeded("replies", cfg.reply_quota_total)
        elif ts.posts_quota.usage(user.id, now, window) >= cfg.quota_total:
            return quota_exceeded("posts", cfg.quota_total)
        if status == EXPIRED:
            return container_expired()
        if status in (IN_PROGRESS, ERROR):
            return not_ready()
        if container.reply_to_id and ts.live_media(container.reply_to_id) is None:
            return invalid_param(
                f"Param reply_to_id {container.reply_to_id} is not a valid Threads media id"
            )
        media = _media(ts, container, now, child=False)
        for child_id in container.children:
            media.children.append(_media(ts, ts.containers[child_id], now, child=True).id)
        if container.reply_to_id:
            ts.replies_quota.add(user.id, now)
        else:
            ts.posts_quota.add(user.id, now)
        urls = (
            [ts.media[c].media_url for c in media.children]
            if media.children
            else ([media.media_url] if media.media_url else [])
        )
        call.sandbox.logs.record_post(
            ReceivedPost(
                network="threads",
                user=user.username,
                user_id=user.id,
                id=media.id,
                text=media.text,
                created_at=iso_ms(now),
                in_reply_to_id=media.reply_to_id,
                media_ids=list(media.children),
                extra={
                    "container_id": container.id,
                    "media_type": media.media_type,
                    "media_urls": urls,
                    "permalink": permalink(ts, media),
                    "quote_post_id": media.quote_post_id,
                    "link_attachment": container.params.get("link_attachment"),
                    "topic_tag": container.params.get("topic_tag"),
                },
            )
        )
        return JSONResponse({"id": media.id})


async def publishing_limit(call: Call) -> Response:
    params = params_of(call)
    now = call.now
    with call.sandbox.lock:
        user, problem = _me(call, "GET")
        if problem is not None or user is None:
            return problem or unsupported("GET", "")
        ts = _ts(call)
        cfg = ts.config
        window = cfg.quota_duration
        fields = params.fields() or ["quota_usage"]
        entry: dict[str, Any] = {}
        for name in fields:
            if name == "quota_usage":
                entry[name] = ts.posts_quota.usage(user.id, now, window)
            elif name == "config":
                entry[name] = {"quota_total": cfg.quota_total, "quota_duration": window}
            elif name == "reply_quota_usage":
                entry[name] = ts.replies_quota.usage(user.id, now, window)
            elif name == "reply_config":
                entry[name] = {"quota_total": cfg.reply_quota_total, "quota_duration": window}
            elif name == "delete_quota_usage":
                entry[name] = ts.deletes_quota.usage(user.id, now, window)
            elif name == "delete_config":
                entry[name] = {"quota_total": cfg.delete_quota_total, "quota_duration": window}
    return JSONResponse({"data": [entry]})


def media_json(ts: ThreadsState, media: ThreadsMedia, fields: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in fields or ["id"]:
        if name == "id":
            body["id"] = media.id
        elif name == "media_product_type":
            body["media_product_type"] = "THREADS"
        elif name == "media_type":
            body["media_type"] = media.media_type
        elif name == "media_url" and media.media_url:
            body["media_url"] = media.media_url
        elif name == "permalink":
            body["permalink"] = permalink(ts, media)
        elif name == "owner":
            body["owner"] = {"id": media.owner_id}
        elif name == "username" and media.owner_id in ts.users:
            body["username"] = ts.users[media.owner_id].username
        elif name == "text" and media.text:
            body["text"] = media.text
        elif name == "timestamp":
            body["timestamp"] = graph_time(media.timestamp)
        elif name == "shortcode":
            body["shortcode"] = media.shortcode
        elif name == "is_quote_post":
            body["is_quote_post"] = media.quote_post_id is not None
        elif name == "is_reply":
            body["is_reply"] = media.reply_to_id is not None
        elif name == "replied_to" and media.reply_to_id:
            body["replied_to"] = {"id": media.reply_to_id}
        elif name == "root_post":
            root = media
            while root.reply_to_id and root.reply_to_id in ts.media:
                root = ts.media[root.reply_to_id]
            body["root_post"] = {"id": root.id}
        elif name == "has_replies":
            body["has_replies"] = any(
                m.reply_to_id == media.id and not m.deleted for m in ts.media.values()
            )
        elif name == "children" and media.children:
            body["children"] = {"data": [{"id": c} for c in media.children]}
    body.setdefault("id", media.id)
    return body


async def get_node(call: Call) -> Response:
    assert call.principal is not None
    params = params_of(call)
    fields = params.fields()
    object_id = call.request.path_params["id"]
    now = call.now
    with call.sandbox.lock:
        ts = _ts(call)
        me = call.principal.user_id
        if object_id in ("me", me) and me in ts.users:
            user = ts.users[me]
            body: dict[str, Any] = {"id": user.id}
            for name in fields:
                if name == "username":
                    body["username"] = user.username
                elif name == "name":
                    body["name"] = user.name
                elif name in ("threads_profile_picture_url", "threads_biography"):
                    body[name] = ""
            return JSONResponse(body)
        container = ts.containers.get(object_id)
        if container is not None and container.owner_id == me:
            status = status_of(ts, container, now)
            body = {}
            for name in fields:
                if name == "status":
                    body["status"] = status
                elif name == "error_message" and status == ERROR:
                    body["error_message"] = container.fetch_error or "UNKNOWN"
            body["id"] = container.id
            return JSONResponse(body)
        media = ts.live_media(object_id)
        if media is not None:
            return JSONResponse(media_json(ts, media, fields))
    return unsupported("GET", object_id)


async def list_threads(call: Call) -> Response:
    params = params_of(call)
    try:
        limit = min(max(int(params.get("limit") or "25"), 1), 100)
    except ValueError:
        limit = 25
    with call.sandbox.lock:
        user, problem = _me(call, "GET")
        if problem is not None or user is None:
            return problem or unsupported("GET", "")
        ts = _ts(call)
        items = sorted(
            (
                m
                for m in ts.media.values()
                if m.owner_id == user.id and not m.deleted and not m.is_child and not m.reply_to_id
            ),
            key=lambda m: (m.timestamp, m.id),
            reverse=True,
        )
        after = params.get("after")
        if after:
            ids = [m.id for m in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        chunk = items[:limit]
        data = [media_json(ts, m, params.fields()) for m in chunk]
    body: dict[str, Any] = {"data": data}
    if chunk:
        body["paging"] = {"cursors": {"before": chunk[0].id, "after": chunk[-1].id}}
    return JSONResponse(body)


async def insights(call: Call) -> Response:
    assert call.principal is not None
    params = params_of(call)
    metrics = params.list_param("metric")
    object_id = call.request.path_params["id"]
    with call.sandbox.lock:
        ts = _ts(call)
        media = ts.live_media(object_id)
        if media is None or media.owner_id != call.principal.user_id:
            return unsupported("GET", object_id)
        if not metrics:
            return invalid_param("Param metric is required")
        for index, name in enumerate(metrics):
            if name not in MEDIA_METRICS:
                return invalid_param(
                    f"metric[{index}] must be one of the following values: {', '.join(MEDIA_METRICS)}"
                )
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": media.metrics.get(name, 0)}],
                "title": name,
                "description": MEDIA_METRICS[name],
                "id": f"{media.id}/insights/{name}/lifetime",
            }
            for name in metrics
        ]
    return JSONResponse({"data": data})


async def delete_node(call: Call) -> Response:
    assert call.principal is not None
    object_id = call.request.path_params["id"]
    now = call.now
    with call.sandbox.lock:
        ts = _ts(call)
        cfg = ts.config
        media = ts.live_media(object_id)
        if media is None or media.owner_id != call.principal.user_id or media.is_child:
            return unsupported("DELETE", object_id)
        if (
            ts.deletes_quota.usage(media.owner_id, now, cfg.quota_duration)
            >= cfg.delete_quota_total
        ):
            return quota_exceeded("deletes", cfg.delete_quota_total)
        media.deleted = True
        ts.deletes_quota.add(media.owner_id, now)
    return JSONResponse({"success": True, "deleted_id": object_id})
