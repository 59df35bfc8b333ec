"""One LinkedIn channel's connection (a member or a page): publish, reconcile, delete, metrics.

All calls are LinkedIn's versioned REST API (`/rest/…`, headers in api.py) with the member's
token; the author is the channel's URN (`urn:li:person:…` or `urn:li:organization:…`). Every
failure is mapped in errors.py. docs/networks/linkedin.md describes the protocol, with sources.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cuecast.config import Config
from cuecast.networks.base import Account, Connection, MediaItem, PublishRequest, PublishResult
from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    OutcomeUnknown,
    Permanent,
    Transient,
)
from cuecast.networks.linkedin import errors
from cuecast.networks.linkedin.api import encode_urn, rest_headers
from cuecast.networks.linkedin.counting import comparable, escape, unescape
from cuecast.networks.linkedin.descriptor import MAX_COMMENTARY, MAX_IMAGES
from cuecast.networks.linkedin.oauth import credentials_from_token, token_request

Sleep = Callable[[float], Awaitable[None]]

ORG_PREFIX = "urn:li:organization:"
# Waiting for an uploaded image to become AVAILABLE (GET /rest/images/{urn}): about 45 s in all.
IMAGE_POLL_DELAYS: tuple[float, ...] = (0.5, 1, 1, 2, 2, 3, 5, 5, 8, 8, 10)
RECONCILE_SLACK = timedelta(minutes=2)  # clock skew between Cuecast and LinkedIn
NO_ATTEMPT_WINDOW = timedelta(hours=24)
POSTS_PAGE = 50
POSTS_PAGES = 4
# LinkedIn activity ids (urn:li:share / urn:li:ugcPost) carry their creation time in
# milliseconds in the bits above the lowest 22 [unconfirmed: observed, not documented].
ID_TIME_SHIFT = 22


def urn_created_at(urn: str) -> datetime | None:
    """When LinkedIn created a post, read from its id; None if the URN is not an activity id."""
    tail = urn.rsplit(":", 1)[-1]
    if not tail.isdigit():
        return None
    millis = int(tail) >> ID_TIME_SHIFT
    if millis <= 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _millis(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


class LinkedInConnection(Connection):
    image_poll_delays: tuple[float, ...] = IMAGE_POLL_DELAYS

    def __init__(
        self,
        account: Account,
        http: httpx.AsyncClient,
        config: Config,
        *,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(account, http)
        self.config = config
        self._sleep: Sleep = sleep or asyncio.sleep

    # --- plumbing ------------------------------------------------------------------------------
    @property
    def author(self) -> str:
        return self.account.external_id

    @property
    def is_organization(self) -> bool:
        return self.author.startswith(ORG_PREFIX)

    @property
    def refreshable(self) -> bool:
        return bool(self.account.credentials.get("refresh_token"))

    async def _call(
        self,
        method: str,
        path: str,
        *,
        create: bool = False,
        write: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One REST call; the response if 2xx, else the mapped error."""
        token = self.account.credentials.get("access_token")
        if not token:
            raise AuthExpired(errors.AUTH_MESSAGE, code="no_access_token")
        sent = {**rest_headers(str(token)), **(headers or {})}
        try:
            response = await self.http.request(
                method, f"{self.config.linkedin_api_url}{path}", headers=sent, **kwargs
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, create=create) from None
        if not response.is_success:
            raise errors.from_response(
                response, create=create, write=write or create, refreshable=self.refreshable
            )
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Transient(
                "LinkedIn answered with something Cuecast cannot read; Cuecast will try again.",
                code="bad_body",
            )
        return body

    def permalink(self, urn: str) -> str:
        return f"{self.config.linkedin_web_url}/feed/update/{urn}/"

    def _result(self, urn: str) -> PublishResult:
        return PublishResult(external_id=urn, permalink=self.permalink(urn), part_ids=(urn,))

    # --- publish -------------------------------------------------------------------------------
    async def publish(self, request: PublishRequest) -> PublishResult:
        if not request.parts:
            raise Permanent("There is nothing to post.", code="empty")
        if len(request.parts) > 1:
            raise Permanent(
                "LinkedIn has no threads: a LinkedIn post has one part. Combine the parts into "
                "one post.",
                code="threads_unsupported",
            )
        if request.already_published:
            return self._result(request.already_published[0])
        part = request.parts[0]
        commentary = escape(part.text)
        if len(commentary) > MAX_COMMENTARY:
            raise Permanent(
                f"The post is longer than LinkedIn allows ({len(commentary):,} of "
                f"{MAX_COMMENTARY:,} characters; each of | {{ }} @ [ ] ( ) < > # \\ * _ ~ counts "
                "twice). Shorten it.",
                code="too_long",
            )
        if len(part.media) > MAX_IMAGES:
            raise Permanent(
                f"A LinkedIn post can have at most {MAX_IMAGES} images.", code="too_many_images"
            )
        if not commentary.strip() and not part.media:
            raise Permanent("There is nothing to post.", code="empty")
        images = [(await self._upload(item), item.alt_text) for item in part.media]
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": commentary,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(images) == 1:
            body["content"] = {"media": _media(*images[0])}
        elif images:
            body["content"] = {"multiImage": {"images": [_media(*i) for i in images]}}
        try:
            response = await self._call("POST", "/rest/posts", create=True, json=body)
        except errors.DuplicatePost as exc:
            if exc.existing_urn:
                # Reconciliation decides whether the post LinkedIn names is this request's own.
                await self.record_progress({"duplicate_of": exc.existing_urn})
            raise
        urn = response.headers.get("x-restli-id", "").strip()
        if not urn:
            # Created (2xx) but LinkedIn did not say as what: reconcile to find it.
            raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="no_id")
        return self._result(urn)

    async def _upload(self, item: MediaItem) -> str:
        """Images API: initializeUpload → PUT the bytes to uploadUrl → wait until AVAILABLE."""
        started = await self._call(
            "POST",
            "/rest/images",
            write=True,
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": self.author}},
        )
        value = self._json(started).get("value") or {}
        upload_url = value.get("uploadUrl") if isinstance(value, dict) else None
        image = value.get("image") if isinstance(value, dict) else None
        if not isinstance(upload_url, str) or not isinstance(image, str):
            raise Transient(
                "LinkedIn did not start the image upload; Cuecast will try again.", code="no_image"
            )
        data = await asyncio.to_thread(Path(item.path).read_bytes)
        token = str(self.account.credentials.get("access_token") or "")
        try:
            put = await self.http.put(
                upload_url,
                content=data,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": item.content_type or "application/octet-stream",
                },
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None
        if not put.is_success:
            raise errors.from_response(put, write=True, refreshable=self.refreshable)
        await self._wait_available(image)
        return image

    async def _wait_available(self, image: str) -> None:
        for delay in (0.0, *self.image_poll_delays):
            if delay:
                await self._sleep(delay)
            response = await self._call("GET", f"/rest/images/{encode_urn(image)}")
            status = self._json(response).get("status")
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                raise Permanent("LinkedIn could not process this image.", code="image_failed")
        raise Transient(
            "LinkedIn is still processing the image; Cuecast will try again.", code="image_slow"
        )

    # --- reconcile -----------------------------------------------------------------------------
    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Was this request published? Looks at the author's recent posts; never posts.

        LinkedIn has no idempotency key. A post matches when its text (escapes removed) and its
        number of images equal the request's and LinkedIn created it after the attempt began. A
        DUPLICATE_POST refusal recorded in `progress` names a candidate, which counts only if it
        too was created after the attempt began (else it is an older post with the same text).

        Reading a member's own posts needs r_member_social, which LinkedIn no longer grants.
        When the list is refused for a member, the duplicate candidate is judged by the time in
        its id alone; with no candidate the answer is "not found", and a resend is then guarded
        by LinkedIn's own duplicate check, whose refusal names the earlier post.
        """
        if not request.parts or len(request.parts) > 1:
            return None
        since = (request.attempt_started_at or (_now() - NO_ATTEMPT_WINDOW)) - RECONCILE_SLACK
        candidate = request.progress.get("duplicate_of")
        candidate = candidate if isinstance(candidate, str) and candidate else None
        try:
            posts = await self._recent_posts(since)
        except Permanent as exc:
            if exc.status != 403 or self.is_organization:
                raise
            created = urn_created_at(candidate) if candidate else None
            if candidate and created is not None and created >= since:
                return self._result(candidate)
            return None
        part = request.parts[0]
        wanted = comparable(part.text)
        matches = [
            p
            for p in posts
            if comparable(unescape(str(p.get("commentary") or ""))) == wanted
            and _image_count(p) == len(part.media)
            and (_created(p) or since) >= since
        ]
        if not matches:
            return None
        chosen = next((p for p in matches if p.get("id") == candidate), None)
        chosen = chosen or min(matches, key=lambda p: _created(p) or since)
        return self._result(str(chosen["id"]))

    async def _recent_posts(self, since: datetime) -> list[dict[str, Any]]:
        """The author's posts, newest first, back to `since` (at most POSTS_PAGES pages)."""
        posts: list[dict[str, Any]] = []
        for page in range(POSTS_PAGES):
            query = (
                f"q=author&author={encode_urn(self.author)}&sortBy=CREATED"
                f"&start={page * POSTS_PAGE}&count={POSTS_PAGE}"
            )
            response = await self._call("GET", f"/rest/posts?{query}")
            elements = [
                p
                for p in self._json(response).get("elements") or []
                if isinstance(p, dict) and isinstance(p.get("id"), str)
            ]
            posts.extend(elements)
            times = [t for t in (_created(p) for p in elements) if t is not None]
            oldest = min(times, default=None)
            if len(elements) < POSTS_PAGE or (oldest is not None and oldest < since):
                break
        return posts

    # --- delete, metrics -------------------------------------------------------------------------
    async def delete(self, external_id: str) -> None:
        try:
            await self._call(
                "DELETE",
                f"/rest/posts/{encode_urn(external_id)}",
                write=True,
                headers={"X-RestLi-Method": "DELETE"},
            )
        except Permanent as exc:
            if exc.status == 404:
                return  # already gone: deleting is done
            raise

    async def fetch_metrics(self, external_id: str) -> dict[str, int]:
        """Lifetime statistics of a page's post, with LinkedIn's names (impressionCount, …).

        organizationalEntityShareStatistics covers organization posts only (rolling 12 months,
        organic activity). Member posts have statistics only through memberCreatorPostAnalytics,
        which needs the r_member_postAnalytics scope Cuecast does not request: none for them.
        The `engagement` ratio is left out (metrics are whole numbers); it is
        (clicks + likes + comments + shares) / impressions.
        """
        if not self.is_organization:
            return {}
        kind = "ugcPosts" if ":ugcPost:" in external_id else "shares"
        query = (
            f"q=organizationalEntity&organizationalEntity={encode_urn(self.author)}"
            f"&{kind}=List({encode_urn(external_id)})"
        )
        response = await self._call("GET", f"/rest/organizationalEntityShareStatistics?{query}")
        for element in self._json(response).get("elements") or []:
            if not isinstance(element, dict):
                continue
            if element.get("share", element.get("ugcPost")) not in (None, external_id):
                continue
            stats = element.get("totalShareStatistics") or {}
            return {
                name: value
                for name, value in stats.items()
                if isinstance(value, int) and not isinstance(value, bool)
            }
        raise Permanent(
            "LinkedIn has no statistics for this post (deleted, or older than 12 months).",
            code="no_statistics",
        )

    async def fetch_account_metrics(self) -> dict[str, int]:
        """A page's follower count, `firstDegreeSize` from GET /rest/networkSizes/{urn}
        ?edgeType=COMPANY_FOLLOWED_BY_MEMBER (rw_organization_admin). A member's own channel
        has no figures Cuecast may read: none, and no call."""
        if not self.is_organization:
            return {}
        response = await self._call(
            "GET",
            f"/rest/networkSizes/{encode_urn(self.author)}?edgeType=COMPANY_FOLLOWED_BY_MEMBER",
        )
        size = self._json(response).get("firstDegreeSize")
        if not isinstance(size, int) or isinstance(size, bool):
            raise Transient(
                "LinkedIn sent no follower count; Cuecast will try again.", code="no_followers"
            )
        return {"firstDegreeSize": size}

    # --- credentials ---------------------------------------------------------------------------
    async def refresh_credentials(self) -> dict[str, Any] | None:
        """A new 60-day access token from the refresh token (approved partners only). The refresh
        token keeps its fixed 365-day window; once it is over, only reconnecting helps."""
        refresh_token = self.account.credentials.get("refresh_token")
        if not refresh_token:
            return None
        ends = self.account.credentials.get("refresh_expires_at")
        if isinstance(ends, str) and ends and datetime.fromisoformat(ends) <= _now():
            raise Disconnected(errors.EXPIRED_MESSAGE, code="refresh_expired")
        body = await token_request(
            self.http,
            self.config,
            {"grant_type": "refresh_token", "refresh_token": str(refresh_token)},
            refreshing=True,
        )
        credentials = credentials_from_token(body, previous=self.account.credentials)
        self.account.credentials = credentials
        return credentials


def _media(image: str, alt_text: str) -> dict[str, str]:
    media = {"id": image}
    if alt_text:
        media["altText"] = alt_text
    return media


def _image_count(post: dict[str, Any]) -> int:
    content = post.get("content")
    if not isinstance(content, dict):
        return 0
    media = content.get("media")
    if isinstance(media, dict) and str(media.get("id", "")).startswith("urn:li:image:"):
        return 1
    multi = content.get("multiImage")
    images = multi.get("images") if isinstance(multi, dict) else None
    return len(images) if isinstance(images, list) else 0


def _created(post: dict[str, Any]) -> datetime | None:
    return (
        _millis(post.get("publishedAt"))
        or _millis(post.get("createdAt"))
        or urn_created_at(str(post.get("id") or ""))
    )


def _now() -> datetime:
    return datetime.now(UTC)
