"""One Bluesky account's connection: publish (threads as reply chains), reconcile, delete,
metrics, refresh.

Every call is XRPC on the account's PDS (`{base_url}/xrpc/<nsid>`) with the session's access
token; AppView reads (`app.bsky.*`) go through the PDS, which proxies them. Each answer's
`ratelimit-*` headers are kept in `rate_limits` for the rate budgets; failures map in errors.py.

Exactly once: every part gets a record key (a TID) chosen by Cuecast and recorded with
`record_progress` before its first `createRecord`; later attempts reuse it. A record key can be
used once per repository, so a repeated create cannot make a second post, and "was it created?"
is answered exactly by `getRecord` for that key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cuecast.config import Config
from cuecast.networks.base import (
    Account,
    Connection,
    MediaItem,
    Part,
    PostOption,
    PublishRequest,
    PublishResult,
)
from cuecast.networks.bluesky import counting, errors, ratelimit, richtext, tid
from cuecast.networks.bluesky.auth import check_server, credentials_from_session
from cuecast.networks.bluesky.descriptor import MAX_IMAGE_BYTES, MAX_IMAGES, POST_COLLECTION
from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    NetworkError,
    OutcomeUnknown,
    Permanent,
    Transient,
)

IMAGES_EMBED = "app.bsky.embed.images"
PROGRESS_KEY = "rkeys"  # request.progress["rkeys"]: one TID per part, in order


@dataclass(frozen=True)
class Ref:
    """A strong reference (com.atproto.repo.strongRef) to one post."""

    uri: str
    cid: str

    def strong(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}


def split_uri(uri: str) -> tuple[str, str, str]:
    """`at://did/collection/rkey` → (did, collection, rkey)."""
    if not uri.startswith("at://"):
        raise Permanent("This is not a Bluesky post address.", code="bad_uri")
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3 or not all(parts):
        raise Permanent("This is not a Bluesky post address.", code="bad_uri")
    return parts[0], parts[1], parts[2]


def now_iso() -> str:
    """createdAt: ISO 8601 in UTC with a `Z` (the docs prefer it to `+00:00`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def recorded_rkeys(progress: dict[str, Any]) -> list[str]:
    value = progress.get(PROGRESS_KEY)
    if not isinstance(value, list):
        return []
    keys: list[str] = []
    for item in value:
        if not isinstance(item, str) or not tid.is_valid(item):
            break
        keys.append(item)
    return keys


class BlueskyConnection(Connection):
    def __init__(self, account: Account, http: httpx.AsyncClient, config: Config) -> None:
        super().__init__(account, http)
        self.config = config
        self.base = (account.base_url or config.bluesky_default_pds).rstrip("/")
        self.rate_limits: dict[str, ratelimit.RateLimitInfo] = {}
        self.last_rate_limit: ratelimit.RateLimitInfo | None = None
        self._checked = False
        self._options: dict[str, str] = {}

    # --- plumbing ------------------------------------------------------------------------------
    @property
    def did(self) -> str:
        return str(self.account.credentials.get("did") or self.account.external_id)

    async def _call(
        self,
        method: str,
        nsid: str,
        *,
        auth: str | None = "access",
        create: bool = False,
        refreshing: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One XRPC call; the response if 2xx, else the mapped error."""
        if not self._checked:
            await check_server(self.base, self.config)
            self._checked = True
        headers: dict[str, str] = dict(kwargs.pop("headers", None) or {})
        if auth == "access":
            token = self.account.credentials.get("accessJwt")
            if not token:
                raise AuthExpired(errors.AUTH_MESSAGE, code="no_access_token")
            headers["Authorization"] = f"Bearer {token}"
        elif auth == "refresh":
            token = self.account.credentials.get("refreshJwt")
            if not token:
                raise Disconnected(errors.RECONNECT_MESSAGE, code="no_refresh_token")
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await self.http.request(
                method, f"{self.base}/xrpc/{nsid}", headers=headers, **kwargs
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, create=create) from None
        info = ratelimit.parse(response.headers)
        if info is not None:
            self.rate_limits[nsid] = info
            self.last_rate_limit = info
        if not response.is_success:
            raise errors.from_response(response, create=create, refreshing=refreshing)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Transient(
                "Bluesky answered with something Cuecast cannot read; it will try again.",
                code="bad_body",
            )
        return body

    def permalink(self, uri: str) -> str:
        _, _, rkey = split_uri(uri)
        who = self.account.handle.lstrip("@") or self.did
        return f"{self.config.bluesky_web_url}/profile/{who}/post/{rkey}"

    def _result(self, uris: list[str]) -> PublishResult:
        return PublishResult(
            external_id=uris[0], permalink=self.permalink(uris[0]), part_ids=tuple(uris)
        )

    # --- publish -------------------------------------------------------------------------------
    async def publish(self, request: PublishRequest) -> PublishResult:
        self._options = request.options
        if not request.parts:
            raise Permanent("There is nothing to post.", code="empty")
        for part in request.parts:
            self._check_part(part)
        refs = await self._refs(list(request.already_published[: len(request.parts)]))
        recorded = recorded_rkeys(request.progress)
        rkeys = recorded[: len(request.parts)]
        if len(rkeys) < len(request.parts):
            rkeys += [tid.next_tid() for _ in range(len(request.parts) - len(rkeys))]
            # Before the first createRecord: a later attempt must reuse these keys.
            await self.record_progress({PROGRESS_KEY: rkeys})
        for index in range(len(refs), len(request.parts)):
            try:
                ref = await self._publish_part(
                    request.parts[index],
                    rkeys[index],
                    root=refs[0] if refs else None,
                    parent=refs[-1] if refs else None,
                    maybe_exists=index < len(recorded),
                )
            except NetworkError as exc:
                exc.published_part_ids = [r.uri for r in refs]
                raise
            refs.append(ref)
        return self._result([r.uri for r in refs])

    def _check_part(self, part: Part) -> None:
        """Refuse what Bluesky would refuse, before anything is uploaded or created."""
        if not part.text.strip() and not part.media:
            raise Permanent("There is nothing to post.", code="empty")
        problem = counting.measure(part.text).problem()
        if problem:
            raise Permanent(problem, code="too-long")
        if len(part.media) > MAX_IMAGES:
            raise Permanent(
                f"Bluesky takes at most {MAX_IMAGES} images per post.", code="too-many-images"
            )
        for item in part.media:
            if not item.content_type.startswith("image/"):
                raise Permanent(
                    "Bluesky posts from Cuecast can carry images only (JPEG, PNG, GIF or WebP).",
                    code="media-type",
                )
            if item.size_bytes > MAX_IMAGE_BYTES:
                raise Permanent(
                    "An image is larger than Bluesky accepts (1 MB per image); use a smaller file.",
                    code="image-too-large",
                )

    async def _refs(self, uris: list[str]) -> list[Ref]:
        """Strong refs (uri + cid) for parts an earlier attempt published: replies need the cid."""
        refs = []
        for uri in uris:
            _, _, rkey = split_uri(uri)
            ref = await self._get_post(rkey)
            if ref is None:
                raise Permanent(
                    "A part of this thread that was already published no longer exists on "
                    "Bluesky, so the rest cannot be added to it.",
                    code="thread-part-gone",
                )
            refs.append(ref)
        return refs

    async def _publish_part(
        self, part: Part, rkey: str, *, root: Ref | None, parent: Ref | None, maybe_exists: bool
    ) -> Ref:
        if maybe_exists:
            # An earlier attempt sent this key; if it went through, that post is the result.
            existing = await self._get_post(rkey)
            if existing is not None:
                return existing
        record = await self._record(part, root, parent)
        try:
            response = await self._call(
                "POST",
                "com.atproto.repo.createRecord",
                create=True,
                json={
                    "repo": self.did,
                    "collection": POST_COLLECTION,
                    "rkey": rkey,
                    "record": record,
                },
            )
        except OutcomeUnknown as exc:
            # A 5xx or "already exists": the reference PDS answers 500 when our key is taken,
            # i.e. when an earlier try went through. Read the key back; a lost answer (timeout)
            # is left to reconciliation, which does the same read later.
            if exc.status is None:
                raise
            existing = await self._get_post_or(rkey, exc)
            if existing is not None:
                return existing
            raise
        body = self._json(response)
        uri, cid = body.get("uri"), body.get("cid")
        if isinstance(uri, str) and isinstance(cid, str) and uri and cid:
            return Ref(uri, cid)
        existing = await self._get_post_or(rkey, OutcomeUnknown(errors.UNKNOWN_MESSAGE))
        if existing is None:
            raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="no_uri")
        return existing

    async def _get_post_or(self, rkey: str, original: NetworkError) -> Ref | None:
        try:
            return await self._get_post(rkey)
        except NetworkError:
            raise original from None

    async def _record(self, part: Part, root: Ref | None, parent: Ref | None) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": part.text,
            "createdAt": now_iso(),
        }
        if self._options.get(PostOption.LANGUAGE):
            record["langs"] = [self._options[PostOption.LANGUAGE]]
        spans = richtext.detect(part.text)
        handles = sorted({s.value for s in spans if s.kind == "mention"})
        dids = {}
        for handle in handles:
            did = await self._resolve_handle(handle)
            if did:
                dids[handle] = did
        facets = richtext.facets(spans, dids)
        if facets:
            record["facets"] = facets
        if part.media:
            record["embed"] = {
                "$type": IMAGES_EMBED,
                "images": [await self._image(item) for item in part.media],
            }
        if root is not None and parent is not None:
            record["reply"] = {"root": root.strong(), "parent": parent.strong()}
        return record

    async def _resolve_handle(self, handle: str) -> str | None:
        """The DID of a handle, or None when it does not resolve (the mention stays text)."""
        try:
            response = await self._call(
                "GET", "com.atproto.identity.resolveHandle", auth=None, params={"handle": handle}
            )
        except Permanent:
            return None  # 400 "Unable to resolve handle" and the like
        did = self._json(response).get("did")
        return did if isinstance(did, str) and did.startswith("did:") else None

    async def _image(self, item: MediaItem) -> dict[str, Any]:
        data = await asyncio.to_thread(Path(item.path).read_bytes)
        if len(data) > MAX_IMAGE_BYTES:
            raise Permanent(
                "An image is larger than Bluesky accepts (1 MB per image); use a smaller file.",
                code="image-too-large",
            )
        response = await self._call(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=data,
            headers={"Content-Type": item.content_type},
        )
        blob = self._json(response).get("blob")
        if not isinstance(blob, dict):
            raise Transient(
                "Bluesky did not confirm the image upload; Cuecast will try again.", code="no_blob"
            )
        image: dict[str, Any] = {"alt": item.alt_text or "", "image": blob}
        if item.width and item.height and item.width > 0 and item.height > 0:
            image["aspectRatio"] = {"width": item.width, "height": item.height}
        return image

    # --- reconcile -----------------------------------------------------------------------------
    async def _get_post(self, rkey: str) -> Ref | None:
        """The post with this record key in the account's repository, or None."""
        try:
            response = await self._call(
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": self.did, "collection": POST_COLLECTION, "rkey": rkey},
            )
        except Permanent as exc:
            if exc.code == "record-not-found":
                return None
            raise
        body = self._json(response)
        uri, cid = body.get("uri"), body.get("cid")
        if not isinstance(uri, str) or not isinstance(cid, str) or not cid:
            raise Transient("Bluesky answered with something Cuecast cannot read.", code="bad_body")
        return Ref(uri, cid)

    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Read back the record keys this request's attempts chose (exact; creates nothing).

        No recorded keys means no create was ever sent (keys are recorded before the first)."""
        rkeys = recorded_rkeys(request.progress)
        if not request.parts or not rkeys:
            return None
        uris: list[str] = list(request.already_published[: len(request.parts)])
        for index in range(len(uris), min(len(request.parts), len(rkeys))):
            ref = await self._get_post(rkeys[index])
            if ref is None:
                break
            uris.append(ref.uri)
        if not uris:
            return None
        if len(uris) < len(request.parts):
            raise Transient(
                "Part of the thread went out on Bluesky; Cuecast will send the rest.",
                code="partial_thread",
                published_part_ids=uris,
            )
        return self._result(uris)

    # --- delete, metrics -----------------------------------------------------------------------
    async def delete(self, external_id: str) -> None:
        """deleteRecord succeeds whether or not the record still exists."""
        did, collection, rkey = split_uri(external_id)
        if did != self.did:
            raise Permanent("This post belongs to another Bluesky account.", code="not_own")
        await self._call(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": self.did, "collection": collection, "rkey": rkey},
        )

    async def fetch_metrics(self, external_id: str) -> dict[str, int]:
        """Bluesky's own counters from app.bsky.feed.getPosts (likeCount, repostCount,
        replyCount, quoteCount; bookmarkCount where the AppView sends it)."""
        split_uri(external_id)
        response = await self._call("GET", "app.bsky.feed.getPosts", params={"uris": external_id})
        posts = self._json(response).get("posts")
        post = next(
            (p for p in posts or [] if isinstance(p, dict) and p.get("uri") == external_id), None
        )
        if post is None:
            # getPosts leaves out what it cannot show: gone, or not indexed by the AppView yet.
            _, _, rkey = split_uri(external_id)
            if await self._get_post(rkey) is None:
                raise Permanent(errors.NOT_FOUND_MESSAGE, status=404, code="record-not-found")
            raise Transient(
                "Bluesky has not counted this post yet; Cuecast will ask again later.",
                code="not_indexed",
            )
        return {
            name: value
            for name in ("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount")
            if isinstance(value := post.get(name), int) and not isinstance(value, bool)
        }

    async def fetch_account_metrics(self) -> dict[str, int]:
        """followersCount, followsCount and postsCount from app.bsky.actor.getProfile."""
        response = await self._call("GET", "app.bsky.actor.getProfile", params={"actor": self.did})
        profile = self._json(response)
        return {
            name: value
            for name in ("followersCount", "followsCount", "postsCount")
            if isinstance(value := profile.get(name), int) and not isinstance(value, bool)
        }

    # --- credentials ---------------------------------------------------------------------------
    async def refresh_credentials(self) -> dict[str, Any] | None:
        """refreshSession with the refresh token; the answer's pair replaces the stored one (the
        old refresh token is retired)."""
        if not self.account.credentials.get("refreshJwt"):
            return None
        response = await self._call(
            "POST", "com.atproto.server.refreshSession", auth="refresh", refreshing=True
        )
        credentials = credentials_from_session(self._json(response))
        if credentials["did"] != self.did:
            raise Disconnected(errors.RECONNECT_MESSAGE, code="did_changed")
        self.account.credentials = credentials
        return credentials
