"""Instagram content publishing (Instagram API with Facebook Login).

developers.facebook.com/docs/instagram-platform/content-publishing,
/reference/ig-user/media, /reference/ig-user/media_publish,
/reference/ig-user/content_publishing_limit, /reference/ig-container,
/reference/instagram-media, /reference/instagram-media/insights, /reference/error-codes.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.logs import ReceivedPost
from sandbox.common.network import Call
from sandbox.facebook import api as fb_api
from sandbox.facebook.state import FacebookState, IgSeed, TokenInfo
from sandbox.instagram.account import account_insights
from sandbox.instagram.state import (
    DEPRECATED_METRICS,
    MEDIA_METRICS,
    IgMedia,
    InstagramState,
)
from sandbox.meta.graph import graph_error, invalid_param, params_of, unsupported
from sandbox.meta.media import (
    ERROR,
    EXPIRED,
    FINISHED,
    IN_PROGRESS,
    PUBLISHED,
    Container,
    start_fetch,
)

HASHTAG = re.compile(r"(?<![\w&])#\w+")
MENTION = re.compile(r"(?<![\w])@[\w.]+")
STATUS_TEXT = {
    IN_PROGRESS: "In Progress: Media is still being processed.",
    FINISHED: "Finished: Media has been uploaded and it is ready to be published.",
    EXPIRED: "Expired: Media container was not published within 24 hours and has expired.",
    PUBLISHED: "Published: Media has been published.",
}
FETCH_ERRORS = {
    "unreachable": 2207052,
    "status": 2207052,
    "format": 2207005,
    "too_large": 2207004,
}


def _ig(call: Call) -> InstagramState:
    return call.sandbox.net("instagram", InstagramState)


def _fs(call: Call) -> FacebookState:
    return call.sandbox.net("facebook", FacebookState)


def _info(call: Call) -> TokenInfo:
    assert call.principal is not None
    return _fs(call).token_info[call.principal.token.value]


def allowed_accounts(fs: FacebookState, info: TokenInfo) -> set[str]:
    pages = fb_api.visible_pages(fs, info)
    return {
        fs.pages[p].instagram_business_account or ""
        for p in pages
        if fs.pages[p].instagram_business_account
    }


def _account(call: Call, method: str) -> tuple[IgSeed | None, Response | None]:
    fs = _fs(call)
    ig_id = call.request.path_params["id"]
    if ig_id in fs.instagram and ig_id in allowed_accounts(fs, _info(call)):
        return fs.instagram[ig_id], None
    return None, unsupported(method, ig_id)


def _lookup(ig: InstagramState) -> Any:
    return ig.containers.get


def container_status(ig: InstagramState, container: Container, now: float) -> str:
    return container.status(now, ig.config.container_expire_seconds, _lookup(ig))


def _shortcode() -> str:
    alphabet = string.ascii_letters + string.digits + "_-"
    return "".join(secrets.choice(alphabet) for _ in range(11))


async def create_container(call: Call) -> Response:
    params = params_of(call)
    now = call.now
    with call.sandbox.lock:
        account, problem = _account(call, "POST")
        if problem is not None or account is None:
            return problem or unsupported("POST", "")
        ig = _ig(call)
        cfg = ig.config
        carousel_item = params.flag("is_carousel_item", False)
        image_url = params.get("image_url")
        video_url = params.get("video_url")
        media_type = (params.get("media_type") or ("" if not image_url else "IMAGE")).upper()
        if not media_type and video_url:
            media_type = "VIDEO"
        caption = params.get("caption") or ""
        children: list[str] = []
        if media_type == "CAROUSEL":
            children = params.list_param("children")
            if not cfg.carousel_min <= len(children) <= cfg.carousel_max:
                return invalid_param(
                    f"The carousel must have between {cfg.carousel_min} and {cfg.carousel_max} "
                    "children.",
                    subcode=2207028,
                )
            for child_id in children:
                child = ig.containers.get(child_id)
                if (
                    child is None
                    or child.owner_id != account.id
                    or not child.is_carousel_item
                    or child.published_media_id is not None
                ):
                    return invalid_param(
                        f"Param children contains an invalid carousel item container: {child_id}",
                        subcode=2207028,
                    )
        elif media_type in ("IMAGE", ""):
            media_type = "IMAGE"
            if not image_url:
                return invalid_param("The parameter image_url is required.")
        elif media_type in ("REELS", "VIDEO"):
            if media_type == "VIDEO" and not carousel_item:
                return invalid_param(
                    "The video media type is no longer supported for feed posts. Use "
                    "media_type=REELS.",
                    subcode=2207023,
                )
            if not video_url:
                return invalid_param("The parameter video_url is required.")
        elif media_type == "STORIES":
            if not (image_url or video_url):
                return invalid_param("The parameter image_url or video_url is required.")
        else:
            return invalid_param(
                f"The media type {media_type} is not one of IMAGE, REELS, STORIES, CAROUSEL.",
                subcode=2207023,
            )
        if not carousel_item:
            if len(caption) > cfg.caption_max:
                return invalid_param(
                    f"Param caption must be at most {cfg.caption_max} characters long."
                )
            if len(HASHTAG.findall(caption)) > cfg.hashtags_max:
                return invalid_param(f"The caption contains more than {cfg.hashtags_max} hashtags.")
            if len(MENTION.findall(caption)) > cfg.mentions_max:
                return invalid_param(f"The caption contains more than {cfg.mentions_max} mentions.")
        is_video = bool(video_url) and media_type != "IMAGE"
        delay = cfg.video_processing_seconds if is_video else cfg.image_processing_seconds
        container = Container(
            id=ig.ids.next(),
            owner_id=account.id,
            media_type=media_type,
            text="" if carousel_item else caption,
            created_at=now,
            ready_at=now + (0 if media_type == "CAROUSEL" else delay),
            image_url=image_url if not is_video else None,
            video_url=video_url if is_video else None,
            is_carousel_item=carousel_item,
            children=children,
            params={k: v for k, v in params.values.items() if k != "access_token"},
        )
        ig.containers[container.id] = container
        url = container.video_url or container.image_url
        if url:
            kind = "video" if is_video else ("jpeg" if cfg.require_jpeg else "image")
            start_fetch(
                call.sandbox.lock,
                container,
                url,
                kind,
                cfg.fetch_timeout,
                cfg.image_max_bytes if not is_video else 1024**3,
                lambda reason: (
                    "Error: Media upload has failed with error code "
                    f"{2207026 if is_video and reason == 'format' else FETCH_ERRORS[reason]}"
                ),
            )
        return JSONResponse({"id": container.id})


def builder_gone(creation_id: str) -> JSONResponse:
    return graph_error(
        f"The media builder with creation id = {creation_id} does not exist or has been expired.",
        24,
        subcode=2207008,
        user_title="Media builder expired",
        user_msg="Try again in a moment. If it keeps failing, create a new container.",
        transient=False,
    )


def container_expired() -> JSONResponse:
    return graph_error(
        "The media you are trying to access has expired. Please try to upload again.",
        -2,
        subcode=2207020,
        user_title="Media expired",
        user_msg="The media you are trying to access has expired. Please try to upload again.",
    )


def not_ready() -> JSONResponse:
    return graph_error(
        "Media ID is not available",
        9007,
        subcode=2207027,
        user_title="Media not ready for publishing",
        user_msg="The media is not ready for publishing, please wait for a moment",
    )


def quota_exceeded() -> JSONResponse:
    return graph_error(
        "Application request limit reached",
        9,
        subcode=2207042,
        user_title="Max posts per day reached",
        user_msg="You reached maximum number of posts that is allowed to be published by "
        "Content Publishing API.",
        transient=False,
    )


def _media_from(ig: InstagramState, container: Container, now: float, child: bool) -> IgMedia:
    if container.media_type == "CAROUSEL":
        kind, product = "CAROUSEL_ALBUM", "FEED"
    elif container.video_url:
        kind = "VIDEO"
        product = {"STORIES": "STORY"}.get(container.media_type, "REELS")
    else:
        kind, product = "IMAGE", "STORY" if container.media_type == "STORIES" else "FEED"
    media = IgMedia(
        id=ig.ids.next(),
        owner_id=container.owner_id,
        media_type=kind,
        media_product_type=product,
        caption=container.text,
        media_url=container.image_url or container.video_url,
        shortcode=_shortcode(),
        timestamp=now,
        container_id=container.id,
        is_child=child,
    )
    ig.media[media.id] = media
    container.published_media_id = media.id
    return media


async def publish(call: Call) -> Response:
    params = params_of(call)
    creation_id = params.get("creation_id") or ""
    now = call.now
    with call.sandbox.lock:
        account, problem = _account(call, "POST")
        if problem is not None or account is None:
            return problem or unsupported("POST", "")
        ig = _ig(call)
        cfg = ig.config
        if not creation_id:
            return invalid_param("The parameter creation_id is required.")
        container = ig.containers.get(creation_id)
        if container is None or container.owner_id != account.id:
            return builder_gone(creation_id)
        status = container_status(ig, container, now)
        if status == PUBLISHED:
            if cfg.republish == "return_existing" and container.published_media_id:
                return JSONResponse({"id": container.published_media_id})
            return builder_gone(creation_id)
        if container.is_carousel_item:
            return invalid_param("A carousel item container cannot be published on its own.")
        if ig.quota.usage(account.id, now, cfg.quota_duration) >= cfg.quota_total:
            return quota_exceeded()
        if status == EXPIRED:
            return container_expired()
        if status in (IN_PROGRESS, ERROR):
            return not_ready()
        media = _media_from(ig, container, now, child=False)
        for child_id in container.children:
            child_media = _media_from(ig, ig.containers[child_id], now, child=True)
            media.children.append(child_media.id)
        ig.quota.add(account.id, now)
        urls = (
            [ig.media[c].media_url for c in media.children] if media.children else [media.media_url]
        )
        call.sandbox.logs.record_post(
            ReceivedPost(
                network="instagram",
                user=account.username,
                user_id=account.id,
                id=media.id,
                text=media.caption,
                created_at=fb_api.iso_ms(now),
                media_ids=list(media.children),
                extra={
                    "container_id": container.id,
                    "media_type": media.media_type,
                    "media_product_type": media.media_product_type,
                    "media_urls": urls,
                    "permalink": permalink(media),
                },
            )
        )
        return JSONResponse({"id": media.id})


def permalink(media: IgMedia) -> str:
    kind = "reel" if media.media_product_type == "REELS" else "p"
    return f"https://www.instagram.com/{kind}/{media.shortcode}/"


async def publishing_limit(call: Call) -> Response:
    params = params_of(call)
    now = call.now
    with call.sandbox.lock:
        account, problem = _account(call, "GET")
        if problem is not None or account is None:
            return problem or unsupported("GET", "")
        ig = _ig(call)
        cfg = ig.config
        since: float | None = None
        if params.get("since"):
            try:
                since = float(params.get("since") or 0)
            except ValueError:
                return invalid_param("Param since must be a unix timestamp")
            if since < now - cfg.quota_duration:
                return invalid_param("Param since must be no older than 24 hours")
        fields = params.fields() or ["quota_usage"]
        entry: dict[str, Any] = {}
        if "quota_usage" in fields:
            entry["quota_usage"] = ig.quota.usage(account.id, now, cfg.quota_duration, since)
        if "config" in fields:
            entry["config"] = {"quota_total": cfg.quota_total, "quota_duration": cfg.quota_duration}
    return JSONResponse({"data": [entry]})


def media_json(fs: FacebookState, media: IgMedia, fields: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    account = fs.instagram.get(media.owner_id)
    for name in fields or ["id"]:
        if name == "id":
            body["id"] = media.id
        elif name == "caption" and media.caption:
            body["caption"] = media.caption
        elif name == "media_type":
            body["media_type"] = media.media_type
        elif name == "media_product_type":
            body["media_product_type"] = media.media_product_type
        elif name == "media_url" and media.media_url:
            body["media_url"] = media.media_url
        elif name == "permalink":
            body["permalink"] = permalink(media)
        elif name == "shortcode":
            body["shortcode"] = media.shortcode
        elif name == "timestamp":
            body["timestamp"] = fb_api.graph_time(media.timestamp)
        elif name == "username" and account:
            body["username"] = account.username
        elif name == "owner":
            body["owner"] = {"id": media.owner_id}
        elif name in ("like_count", "comments_count"):
            body[name] = media.metrics.get(name, 0)
        elif name == "is_comment_enabled":
            body["is_comment_enabled"] = True
        elif name == "children" and media.children:
            body["children"] = {"data": [{"id": c} for c in media.children]}
    body.setdefault("id", media.id)
    return body


async def get_node(call: Call) -> Response:
    params = params_of(call)
    fields = params.fields()
    object_id = call.request.path_params["id"]
    now = call.now
    with call.sandbox.lock:
        fs = _fs(call)
        ig = _ig(call)
        allowed = allowed_accounts(fs, _info(call))
        if object_id in fs.instagram:
            if object_id not in allowed:
                return unsupported("GET", object_id)
            seed = fs.instagram[object_id]
            body: dict[str, Any] = {"id": seed.id}
            for name in fields:
                if name == "username":
                    body["username"] = seed.username
                elif name == "name":
                    body["name"] = seed.name
                elif name == "media_count":
                    body["media_count"] = sum(
                        1
                        for m in ig.media.values()
                        if m.owner_id == seed.id and not m.is_child and not m.deleted
                    )
                elif name in ("followers_count", "follows_count"):
                    body[name] = seed.figures.get(name, 0)
                elif name == "ig_id":
                    body["ig_id"] = int(seed.id[-10:])
            return JSONResponse(body)
        container = ig.containers.get(object_id)
        if container is not None and container.owner_id in allowed:
            status = container_status(ig, container, now)
            body = {}
            for name in fields:
                if name == "status_code":
                    body["status_code"] = status
                elif name == "status":
                    body["status"] = (
                        container.fetch_error
                        or "Error: Media upload has failed with error code 2207001"
                        if status == ERROR
                        else STATUS_TEXT[status]
                    )
                elif name == "copyright_check_status" and container.video_url:
                    body["copyright_check_status"] = {"status": "completed", "matches_found": False}
            body["id"] = container.id
            return JSONResponse(body)
        media = ig.media.get(object_id)
        if media is not None and not media.deleted and media.owner_id in allowed:
            return JSONResponse(media_json(fs, media, fields))
    return await fb_api.get_object(call)


async def list_media(call: Call) -> Response:
    params = params_of(call)
    try:
        limit = min(max(int(params.get("limit") or "25"), 1), 100)
    except ValueError:
        limit = 25
    with call.sandbox.lock:
        account, problem = _account(call, "GET")
        if problem is not None or account is None:
            return problem or unsupported("GET", "")
        fs = _fs(call)
        ig = _ig(call)
        items = sorted(
            (
                m
                for m in ig.media.values()
                if m.owner_id == account.id and not m.is_child and not m.deleted
            ),
            key=lambda m: (m.timestamp, m.id),
            reverse=True,
        )
        after = params.get("after")
        if after:
            ids = [m.id for m in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        chunk = items[:limit]
        data = [media_json(fs, m, params.fields()) for m in chunk]
    body: dict[str, Any] = {"data": data}
    if chunk:
        body["paging"] = {"cursors": {"before": chunk[0].id, "after": chunk[-1].id}}
    return JSONResponse(body)


async def insights(call: Call) -> Response:
    params = params_of(call)
    metrics = params.list_param("metric")
    object_id = call.request.path_params["id"]
    with call.sandbox.lock:
        fs = _fs(call)
        ig = _ig(call)
        seed = fs.instagram.get(object_id)
        if seed is not None and object_id in allowed_accounts(fs, _info(call)):
            return account_insights(call, seed, metrics)
        media = ig.media.get(object_id)
        if (
            media is None
            or media.deleted
            or media.owner_id not in allowed_accounts(fs, _info(call))
        ):
            return unsupported("GET", object_id)
        if not metrics:
            return invalid_param("The parameter metric is required.")
        for index, name in enumerate(metrics):
            if name in DEPRECATED_METRICS or name not in MEDIA_METRICS:
                return invalid_param(
                    f"metric[{index}] must be one of the following values: {', '.join(MEDIA_METRICS)}"
                )
        if media.is_child:
            return graph_error("(#10) Insights are not available for carousel children.", 10)
        data = []
        for name in metrics:
            title, description = MEDIA_METRICS[name]
            data.append(
                {
                    "name": name,
                    "period": "lifetime",
                    "values": [{"value": media.metrics.get(name, 0)}],
                    "title": title,
                    "description": description,
                    "id": f"{media.id}/insights/{name}/lifetime",
                }
            )
    return JSONResponse({"data": data})


async def delete_node(call: Call) -> Response:
    object_id = call.request.path_params["id"]
    with call.sandbox.lock:
        fs = _fs(call)
        ig = _ig(call)
        media = ig.media.get(object_id)
        allowed = allowed_accounts(fs, _info(call))
        if media is None or media.deleted or media.owner_id not in allowed or media.is_child:
            if media is None and object_id not in ig.containers and object_id not in fs.instagram:
                return await fb_api.delete_object(call)
            return unsupported("DELETE", object_id)
        if not ig.config.media_delete_supported:
            return unsupported("DELETE", object_id)
        media.deleted = True
    return JSONResponse({"success": True})
