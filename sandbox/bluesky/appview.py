"""The AppView reads a PDS proxies: ``app.bsky.feed.getPosts`` and ``app.bsky.actor.getProfile``.

Shapes follow ``app.bsky.feed.defs#postView`` and ``app.bsky.actor.defs#profileViewDetailed``.
Counts (likeCount, repostCount, replyCount, quoteCount, bookmarkCount) come from the control API's
metrics endpoint; replyCount defaults to the number of live replies in the sandbox.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import JSONResponse, Response

from sandbox.bluesky.repo import iso
from sandbox.bluesky.session import bs_of, pds_url
from sandbox.bluesky.state import POST, Account, BlueskyState, Record
from sandbox.bluesky.xrpc import error
from sandbox.common.network import Call

MAX_URIS = 25


def author_json(account: Account) -> dict[str, Any]:
    return {
        "did": account.did,
        "handle": account.handle,
        "displayName": account.display_name,
        "labels": [],
        "createdAt": account.created_at,
    }


def _blob_url(pds: str, did: str, blob: Any) -> str | None:
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    cid = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
    if not isinstance(cid, str):
        return None
    return f"{pds}/xrpc/com.atproto.sync.getBlob?did={quote(did)}&cid={quote(cid)}"


def embed_view(bs: BlueskyState, pds: str, did: str, embed: Any) -> dict[str, Any] | None:
    if not isinstance(embed, dict):
        return None
    kind = embed.get("$type")
    if kind == "app.bsky.embed.images":
        images = []
        for image in embed.get("images") or []:
            url = _blob_url(pds, did, image.get("image"))
            view: dict[str, Any] = {"thumb": url, "fullsize": url, "alt": image.get("alt", "")}
            if image.get("aspectRatio"):
                view["aspectRatio"] = image["aspectRatio"]
            images.append(view)
        return {"$type": "app.bsky.embed.images#view", "images": images}
    if kind == "app.bsky.embed.external":
        external = dict(embed.get("external") or {})
        thumb = _blob_url(pds, did, external.pop("thumb", None))
        if thumb:
            external["thumb"] = thumb
        return {"$type": "app.bsky.embed.external#view", "external": external}
    if kind == "app.bsky.embed.video":
        cid = (embed.get("video") or {}).get("ref", {}).get("$link")
        view = {
            "$type": "app.bsky.embed.video#view",
            "cid": cid,
            "playlist": _blob_url(pds, did, embed.get("video")),
        }
        for key in ("alt", "aspectRatio"):
            if embed.get(key):
                view[key] = embed[key]
        return view
    if kind == "app.bsky.embed.record":
        ref = embed.get("record") or {}
        target = bs.record_by_uri(str(ref.get("uri", "")))
        if target is None:
            record_view: dict[str, Any] = {
                "$type": "app.bsky.embed.record#viewNotFound",
                "uri": ref.get("uri"),
                "notFound": True,
            }
        else:
            record_view = {
                "$type": "app.bsky.embed.record#viewRecord",
                "uri": target.uri,
                "cid": target.cid,
                "author": author_json(bs.accounts[target.did]),
                "value": target.value,
                "indexedAt": iso(target.created_at),
            }
        return {"$type": "app.bsky.embed.record#view", "record": record_view}
    if kind == "app.bsky.embed.recordWithMedia":
        record_part = embed_view(
            bs, pds, did, {"$type": "app.bsky.embed.record", **(embed.get("record") or {})}
        )
        return {
            "$type": "app.bsky.embed.recordWithMedia#view",
            "record": record_part,
            "media": embed_view(bs, pds, did, embed.get("media")),
        }
    return None


def _live_replies(bs: BlueskyState, uri: str) -> int:
    count = 0
    for repo in bs.repos.values():
        for (collection, _), record in repo.records.items():
            reply = record.value.get("reply")
            parent = reply.get("parent") if isinstance(reply, dict) else None
            if collection == POST and isinstance(parent, dict) and parent.get("uri") == uri:
                count += 1
    return count


def post_view(bs: BlueskyState, pds: str, record: Record, viewer: bool) -> dict[str, Any]:
    metrics = record.metrics
    view: dict[str, Any] = {
        "uri": record.uri,
        "cid": record.cid,
        "author": author_json(bs.accounts[record.did]),
        "record": record.value,
    }
    embed = embed_view(bs, pds, record.did, record.value.get("embed"))
    if embed is not None:
        view["embed"] = embed
    view.update(
        {
            "bookmarkCount": metrics.get("bookmarkCount", 0),
            "replyCount": metrics.get("replyCount", _live_replies(bs, record.uri)),
            "repostCount": metrics.get("repostCount", 0),
            "likeCount": metrics.get("likeCount", 0),
            "quoteCount": metrics.get("quoteCount", 0),
            "indexedAt": iso(record.created_at),
            "labels": [],
        }
    )
    if viewer:
        view["viewer"] = {"threadMuted": False, "embeddingDisabled": False}
    return view


async def get_posts(call: Call) -> Response:
    uris = call.request.query_params.getlist("uris")
    if not uris:
        return error(400, 'Params must have the property "uris"')
    if len(uris) > MAX_URIS:
        return error(400, f"Params/uris must not have more than {MAX_URIS} elements")
    with call.sandbox.lock:
        bs = bs_of(call)
        pds = pds_url(call)
        posts = []
        for i, uri in enumerate(uris):
            if not uri.startswith("at://"):
                return error(400, f"Params/uris/{i} must be a valid at-uri")
            record = bs.record_by_uri(uri)
            if record is not None and record.collection == POST:
                posts.append(post_view(bs, pds, record, call.principal is not None))
        return JSONResponse({"posts": posts})


async def get_profile(call: Call) -> Response:
    actor = call.request.query_params.get("actor")
    if actor is None:
        return error(400, 'Params must have the property "actor"')
    with call.sandbox.lock:
        bs = bs_of(call)
        account = bs.account(actor)
        if account is None or "@" in actor:
            return error(400, "Profile not found")
        posts = sum(1 for (c, _) in bs.repo(account.did).records if c == POST)
        body: dict[str, Any] = {
            **author_json(account),
            "description": account.description,
            "followersCount": account.figures.get("followersCount", 0),
            "followsCount": account.figures.get("followsCount", 0),
            "postsCount": posts,
            "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
            "indexedAt": account.created_at,
        }
        if call.principal is not None:
            body["viewer"] = {"muted": False, "blockedBy": False}
        return JSONResponse(body)
