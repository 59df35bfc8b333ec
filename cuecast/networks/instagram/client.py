"""One Instagram account's connection: two-phase publishing (container → media_publish) exactly
once, reconciliation by the container's status, metrics, token renewal.

Graph base: `{config.instagram_graph_url}/{config.facebook_graph_version}`. Every call carries the
Facebook user token (`Authorization: Bearer`). Sources and reasoning: docs/networks/instagram.md.

Exactly once:
1. `content_publishing_limit` is read BEFORE anything is created; a used-up quota raises
   QuotaExhausted with the time it reopens.
2. The container is created (or an earlier attempt's container is reused) and its id is recorded
   with `record_progress` before anything depends on it.
3. The container is polled until FINISHED, then `media_publish` publishes it. A container can be
   published once; afterwards its status is PUBLISHED, which is what reconciliation reads.
"""

from __future__ import annotations

import asyncio
import ipaddress
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from cuecast.config import Config
from cuecast.networks.base import (
    Account,
    Connection,
    MediaItem,
    Part,
    PublishRequest,
    PublishResult,
)
from cuecast.networks.errors import (
    NetworkError,
    OutcomeUnknown,
    Permanent,
    QuotaExhausted,
    Transient,
)
from cuecast.networks.facebook.insights import last_complete_day
from cuecast.networks.instagram import errors
from cuecast.networks.instagram.counting import caption_length
from cuecast.networks.instagram.descriptor import CAPTION_LIMIT, CAROUSEL_MAX, NEEDS_MEDIA_MESSAGE
from cuecast.networks.instagram.errors import Call
from cuecast.networks.instagram.oauth import credentials, renew

Sleep = Callable[[float], Awaitable[None]]

# Polling a container (docs suggest about once a minute for up to five minutes; Cuecast starts
# faster and gives up after ~1 minute per attempt: the container id is kept, so the next attempt
# continues with the same container).
POLL_DELAYS: tuple[float, ...] = (0.5, 1, 1, 2, 2, 3, 5, 5, 10, 10, 10, 10)
QUOTA_PRECISION = timedelta(minutes=5)  # how closely the reopening time is searched
QUOTA_SINCE_MARGIN = timedelta(minutes=1)  # `since` must be no older than 24 hours
RECONCILE_SLACK = timedelta(minutes=2)  # clock skew between Cuecast and Instagram
MEDIA_PAGE = 50
MEDIA_PAGES = 4

IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED = (
    "IN_PROGRESS",
    "FINISHED",
    "ERROR",
    "EXPIRED",
    "PUBLISHED",
)


def comparable(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _is_video(item: MediaItem) -> bool:
    return item.content_type.startswith("video/")


def _parse_time(value: Any) -> datetime | None:
    """Graph timestamps: ISO 8601 with a `+0000` offset."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class InstagramConnection(Connection):
    poll_delays: tuple[float, ...] = POLL_DELAYS

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
        self.base = f"{config.instagram_graph_url.rstrip('/')}/{config.facebook_graph_version}"
        self._sleep: Sleep = sleep or asyncio.sleep
        self.last_usage: dict[str, str] = {}  # X-App-Usage / X-Business-Use-Case-Usage, raw

    # --- plumbing ------------------------------------------------------------------------------
    async def _call(
        self, method: str, path: str, *, call: Call = Call.READ, **kwargs: Any
    ) -> dict[str, Any]:
        token = self.account.credentials.get("access_token")
        if not token:
            raise errors.from_response(
                httpx.Response(400, json={"error": {"code": 104, "message": "no token"}})
            )
        try:
            response = await self.http.request(
                method,
                f"{self.base}{path}",
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, call=call) from None
        for name in ("x-app-usage", "x-business-use-case-usage"):
            if name in response.headers:
                self.last_usage[name] = response.headers[name]
        if not response.is_success:
            raise errors.from_response(response, call=call)
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if call is Call.PUBLISH:
                raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="bad_body")
            raise Transient(
                "Instagram answered with something Cuecast cannot read; it will try again.",
                code="bad_body",
            )
        return body

    @property
    def user(self) -> str:
        return self.account.external_id

    # --- publish -------------------------------------------------------------------------------
    async def publish(self, request: PublishRequest) -> PublishResult:
        if not request.parts:
            raise Permanent(NEEDS_MEDIA_MESSAGE, code="no_media")
        part = request.parts[0]  # Instagram has no threads (Capabilities.threads is False)
        self._check(part)
        container_id = await self._reusable_container(request)
        if container_id == PUBLISHED:
            found = await self.find_published(request)
            if found is None:  # the container says published; the media list lags behind
                raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="published_not_listed")
            return found
        await self._check_quota()
        if container_id is None:
            container_id = await self._create(part)
            await self.record_progress({"container_id": container_id})
        await self._wait_finished(container_id)
        await self._check_quota()  # processing may have taken a while
        body = await self._call(
            "POST",
            f"/{self.user}/media_publish",
            call=Call.PUBLISH,
            params={"creation_id": container_id},
        )
        media_id = body.get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="no_id")
        media_id = str(media_id)
        return PublishResult(
            external_id=media_id, permalink=await self._permalink(media_id), part_ids=(media_id,)
        )

    def _check(self, part: Part) -> None:
        if not part.media:
            raise Permanent(NEEDS_MEDIA_MESSAGE, code="no_media")
        if len(part.media) > CAROUSEL_MAX:
            raise Permanent(
                f"Instagram takes at most {CAROUSEL_MAX} images or videos in one post.",
                code="too_many_media",
            )
        if caption_length(part.text) > CAPTION_LIMIT:
            raise Permanent(errors.SUBCODES[2207010].message, code="caption")
        for item in part.media:
            self._check_url(item.url)

    def _check_url(self, url: str) -> None:
        """Instagram fetches media itself, so Cuecast's address for the file must be public."""
        parts = urlsplit(url)
        if not url or parts.scheme not in ("http", "https") or not parts.hostname:
            raise Permanent(errors.NEEDS_PUBLIC_URL_MESSAGE, code="no_public_url")
        if self.config.sandbox_enabled:
            return  # the emulator fetches from loopback addresses too
        host = parts.hostname
        try:
            private = not ipaddress.ip_address(host).is_global
        except ValueError:
            private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        if private or parts.scheme != "https":
            raise Permanent(errors.NEEDS_PUBLIC_URL_MESSAGE, code="no_public_url")

    async def _reusable_container(self, request: PublishRequest) -> str | None:
        """An earlier attempt's container, if it can still be published (or PUBLISHED)."""
        container_id = request.progress.get("container_id")
        if not isinstance(container_id, str) or not container_id:
            return None
        try:
            status = await self._status(container_id)
        except Permanent:
            return None  # gone: make a new one
        if status == PUBLISHED:
            return PUBLISHED
        if status in (IN_PROGRESS, FINISHED):
            return container_id
        return None  # ERROR or EXPIRED: a new container

    async def _create(self, part: Part) -> str:
        caption = unicodedata.normalize("NFC", part.text)
        if len(part.media) == 1:
            item = part.media[0]
            params = {"caption": caption, **self._media_params(item, carousel_item=False)}
            return await self._create_container(params)
        children = []
        for item in part.media:
            children.append(
                await self._create_container(self._media_params(item, carousel_item=True))
            )
        return await self._create_container(
            {"media_type": "CAROUSEL", "caption": caption, "children": ",".join(children)}
        )

    @staticmethod
    def _media_params(item: MediaItem, *, carousel_item: bool) -> dict[str, str]:
        params: dict[str, str] = {}
        if _is_video(item):
            params["media_type"] = "VIDEO" if carousel_item else "REELS"
            params["video_url"] = item.url
        else:
            params["image_url"] = item.url
            if item.alt_text and not carousel_item:
                params["alt_text"] = item.alt_text[:1000]
        if carousel_item:
            params["is_carousel_item"] = "true"
        return params

    async def _create_container(self, params: dict[str, str]) -> str:
        body = await self._call("POST", f"/{self.user}/media", call=Call.CREATE, data=params)
        container_id = body.get("id")
        if not isinstance(container_id, str | int) or not str(container_id):
            raise Transient(
                "Instagram did not prepare the post; Cuecast will try again.", code="no_container"
            )
        return str(container_id)

    async def _status(self, container_id: str) -> str:
        body = await self._call("GET", f"/{container_id}", params={"fields": "status_code,status"})
        return str(body.get("status_code") or "")

    async def _wait_finished(self, container_id: str) -> None:
        for delay in (0.0, *self.poll_delays):
            if delay:
                await self._sleep(delay)
            body = await self._call(
                "GET", f"/{container_id}", params={"fields": "status_code,status"}
            )
            status = str(body.get("status_code") or "")
            if status == FINISHED:
                return
            if status == PUBLISHED:
                raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="already_published")
            if status == EXPIRED:
                raise Transient(errors.SUBCODES[2207020].message, code="container_expired")
            if status == ERROR:
                raise self._container_error(str(body.get("status") or ""))
        raise Transient(
            "Instagram is still processing the media; Cuecast will publish it shortly.",
            code="processing",
        )

    @staticmethod
    def _container_error(status: str) -> NetworkError:
        """A container in ERROR: `status` names the error subcode where Instagram gives one."""
        digits = "".join(ch for ch in status if ch.isdigit())
        row = errors.SUBCODES.get(int(digits)) if digits else None
        if row is not None and row.error is not QuotaExhausted:
            return row.error(row.message, code=row.name)
        return Permanent(
            "Instagram could not process the image or video for this post. Check that it is a "
            "JPEG image (or MP4 video) of a size and shape Instagram accepts.",
            code="container_error",
        )

    # --- the rolling 24-hour publishing limit ----------------------------------------------------
    async def _usage(self, since: datetime | None = None) -> tuple[int, int, int]:
        params = {"fields": "quota_usage,config"}
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        body = await self._call("GET", f"/{self.user}/content_publishing_limit", params=params)
        data = body.get("data")
        entry: dict[str, Any] = (
            data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        )
        raw_config = entry.get("config")
        config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}

        def number(value: Any, default: int) -> int:
            return value if isinstance(value, int) and not isinstance(value, bool) else default

        return (
            number(entry.get("quota_usage"), 0),
            number(config.get("quota_total"), 0),
            number(config.get("quota_duration"), 86400),
        )

    async def _check_quota(self) -> None:
        used, total, duration = await self._usage()
        if total <= 0 or used < total:
            return
        raise QuotaExhausted(
            errors.QUOTA_MESSAGE,
            code="publish_limit",
            retry_at=await self._reopens_at(total, duration),
        )

    async def _reopens_at(self, total: int, duration: int) -> datetime:
        """When the oldest counted post leaves the rolling window.

        The API gives only a count, but `since` (a Unix time no older than 24 hours) counts the
        posts published after it. Usage since t only falls as t moves on, so a binary search
        finds, within QUOTA_PRECISION, the earliest t after which fewer than `total` posts
        remain; the window reopens `duration` after that. Rounded up: never too early.
        """
        now = datetime.now(UTC)
        window = timedelta(seconds=duration)
        lo, hi = now - window + QUOTA_SINCE_MARGIN, now
        try:
            if (await self._usage(hi))[0] >= total:
                return now + window
            while hi - lo > QUOTA_PRECISION:
                mid = lo + (hi - lo) / 2
                if (await self._usage(mid))[0] >= total:
                    lo = mid
                else:
                    hi = mid
        except NetworkError:
            return now + window  # cannot narrow it down: the latest it can be
        return hi + window

    # --- reconcile -----------------------------------------------------------------------------
    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Was this request published? Read the container recorded before publishing.

        A container is published at most once, and a post is published only after its
        container's id was recorded, so: no container id → nothing went out; a container that is
        not PUBLISHED → nothing went out. A PUBLISHED container's media is found in the account's
        recent media by caption (the container does not name its media); if it cannot be found
        yet, this raises Transient rather than answering None, which would invite a re-send.
        """
        container_id = request.progress.get("container_id")
        if not request.parts or not isinstance(container_id, str) or not container_id:
            return None
        try:
            status = await self._status(container_id)
        except Permanent:
            return None
        if status != PUBLISHED:
            return None
        wanted = comparable(request.parts[0].text)
        since = (request.attempt_started_at or datetime.now(UTC) - timedelta(days=1)) - (
            RECONCILE_SLACK
        )
        for media in await self._recent_media(since):
            if comparable(str(media.get("caption") or "")) == wanted:
                media_id = str(media["id"])
                permalink = str(media.get("permalink") or "") or await self._permalink(media_id)
                return PublishResult(
                    external_id=media_id, permalink=permalink, part_ids=(media_id,)
                )
        raise Transient(
            "Instagram says the post went out, but Cuecast cannot find it on the account yet; it "
            "will look again.",
            code="published_not_listed",
        )

    async def _recent_media(self, since: datetime) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params = {"fields": "id,caption,timestamp,permalink", "limit": str(MEDIA_PAGE)}
        for _ in range(MEDIA_PAGES):
            body = await self._call("GET", f"/{self.user}/media", params=params)
            page = [m for m in body.get("data") or [] if isinstance(m, dict) and m.get("id")]
            older = False
            for media in page:
                stamp = _parse_time(media.get("timestamp"))
                if stamp is not None and stamp < since:
                    older = True
                    continue
                found.append(media)
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if older or not page or not after or not (body.get("paging") or {}).get("next"):
                break
            params = {**params, "after": str(after)}
        return found

    async def _permalink(self, media_id: str) -> str:
        try:
            body = await self._call("GET", f"/{media_id}", params={"fields": "permalink"})
            link = body.get("permalink")
            if isinstance(link, str) and link.startswith("http"):
                return link
        except NetworkError:
            pass
        return f"https://www.instagram.com/{self.account.handle}/"

    # --- delete, metrics, credentials ------------------------------------------------------------
    async def delete(self, external_id: str) -> None:
        raise Permanent(errors.DELETE_MESSAGE, code="delete_unsupported")

    async def fetch_metrics(self, external_id: str) -> dict[str, int]:
        """Instagram's own names: `like_count`, `comments_count` (fields) and the media insights
        `views, reach, likes, comments, shares, saved, total_interactions` (current after the
        April 2025 deprecation of impressions/plays). Insights that are not there yet (too few
        viewers, or the data is delayed) are left out rather than reported as 0."""
        body = await self._call(
            "GET", f"/{external_id}", params={"fields": "like_count,comments_count"}
        )
        metrics: dict[str, int] = {
            name: value
            for name in ("like_count", "comments_count")
            if isinstance(value := body.get(name), int) and not isinstance(value, bool)
        }
        try:
            insights = await self._call(
                "GET",
                f"/{external_id}/insights",
                params={"metric": "views,reach,likes,comments,shares,saved,total_interactions"},
            )
        except Permanent as exc:
            if exc.code in ("not_found",):
                raise
            return metrics  # not enough viewers, or a metric this media type lacks
        for entry in insights.get("data") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            value = _metric_value(entry)
            if value is not None:
                metrics[entry["name"]] = value
        return metrics

    async def fetch_account_metrics(self) -> dict[str, int]:
        """The account's followers_count field and the reach of its last complete day (account
        insights, period=day). Instagram keeps account insights from accounts under 100
        followers to itself: then followers alone."""
        fields = await self._call(
            "GET", f"/{self.user}", params={"fields": "followers_count,follows_count"}
        )
        figures = {
            name: value
            for name in ("followers_count", "follows_count")
            if isinstance(value := fields.get(name), int) and not isinstance(value, bool)
        }
        try:
            insights = await self._call(
                "GET", f"/{self.user}/insights", params={"metric": "reach", "period": "day"}
            )
        except Permanent:
            return figures
        return {**figures, **last_complete_day(insights, datetime.now(UTC))}

    async def refresh_credentials(self) -> dict[str, Any] | None:
        token = self.account.credentials.get("access_token")
        if not isinstance(token, str) or not token:
            return None
        renewed = await renew(self.http, self.config, token)
        fresh = credentials(renewed, str(self.account.credentials.get("page_id") or ""))
        self.account.credentials = {**self.account.credentials, **fresh}
        return self.account.credentials


def _metric_value(entry: dict[str, Any]) -> int | None:
    total = entry.get("total_value")
    if isinstance(total, dict) and isinstance(total.get("value"), int):
        return int(total["value"])
    values = entry.get("values")
    if isinstance(values, list) and values and isinstance(values[-1], dict):
        value = values[-1].get("value")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
