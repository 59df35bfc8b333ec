"""One Facebook Page's connection: publish (text, link, one or several photos), reconcile, delete,
metrics. Every call uses the Page access token; failures are mapped in errors.py.

Sources: developers.facebook.com/docs/pages-api/posts (publish, read, delete),
/docs/graph-api/reference/page/photos and /docs/graph-api/photo-uploads (photos, unpublished
photos attached to a /feed post), /docs/graph-api/reference/page/feed,
/docs/graph-api/reference/insights (post metrics).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
    Disconnected,
    NetworkError,
    OutcomeUnknown,
    Permanent,
)
from cuecast.networks.facebook import errors, ratelimit
from cuecast.networks.facebook.insights import last_complete_day
from cuecast.networks.facebook.login import graph_base, next_cursor

RECONCILE_SLACK = timedelta(minutes=1)  # clock skew between Cuecast and Facebook
NO_ATTEMPT_WINDOW = timedelta(hours=24)  # how far back to look when the attempt time is unknown
LOOKUP_PAGE = 100
LOOKUP_PAGES = 3
# Post insights that exist today (the impressions family goes by 15 June 2026; see the docs page).
INSIGHT_METRICS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_reactions_by_type_total",
)
COUNT_FIELDS = "shares,comments.limit(0).summary(true),reactions.limit(0).summary(true)"
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def comparable(text: str) -> str:
    """A message with whitespace collapsed, for matching what Facebook returns."""
    return _SPACE.sub(" ", text).strip()


def first_link(text: str) -> str | None:
    match = URL_RE.search(text)
    return match.group(0).rstrip(".,;:!?)") if match else None


class FacebookConnection(Connection):
    def __init__(self, account: Account, http: httpx.AsyncClient, config: Config) -> None:
        super().__init__(account, http)
        self.config = config
        self.rate_limit: ratelimit.RateLimitInfo | None = None

    # --- plumbing ------------------------------------------------------------------------------
    @property
    def page_id(self) -> str:
        return self.account.external_id

    def _token(self) -> str:
        credentials = self.account.credentials
        token = credentials.get("page_access_token") or credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise Disconnected(errors.DISCONNECTED_MESSAGE, code="no_page_token")
        return token

    async def _call(
        self, method: str, path: str, *, create: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """One Graph call; the JSON object if 2xx, else the mapped error."""
        headers = {"Authorization": f"Bearer {self._token()}"}
        url = f"{graph_base(self.config)}{path}"
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, create=create) from None
        info = ratelimit.parse(response.headers)
        if info is not None:
            self.rate_limit = info
        if not response.is_success:
            raise errors.from_response(response, create=create)
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if create:  # it was accepted (2xx) but we cannot tell as what: reconcile
                raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="bad_body")
            raise Permanent(
                "Facebook answered with something Cuecast cannot read.", code="bad_body"
            )
        return body

    def fallback_permalink(self, post_id: str) -> str:
        return f"{self.config.facebook_web_url.rstrip('/')}/{post_id}"

    async def permalink(self, post_id: str) -> str:
        try:
            body = await self._call("GET", f"/{post_id}", params={"fields": "permalink_url"})
        except NetworkError:
            return self.fallback_permalink(post_id)
        url = body.get("permalink_url")
        return (
            url
            if isinstance(url, str) and url.startswith("http")
            else self.fallback_permalink(post_id)
        )

    async def _result(self, post_id: str) -> PublishResult:
        return PublishResult(
            external_id=post_id, permalink=await self.permalink(post_id), part_ids=(post_id,)
        )

    # --- publish -------------------------------------------------------------------------------
    async def publish(self, request: PublishRequest) -> PublishResult:
        if not request.parts:
            raise Permanent("There is nothing to post.", code="empty")
        if len(request.parts) > 1:
            raise Permanent(
                "Facebook Pages have no threads. Make this a single post for Facebook.",
                code="no_threads",
            )
        if request.already_published:
            return await self._result(request.already_published[0])
        part = request.parts[0]
        if not part.media:
            post_id = await self._feed(part, [])
        elif len(part.media) == 1:
            post_id = await self._single_photo(part)
        else:
            photo_ids = [await self._upload(item, published=False) for item in part.media]
            post_id = await self._feed(part, photo_ids)
        return await self._result(post_id)

    async def _feed(self, part: Part, photo_ids: list[str]) -> str:
        """POST /{page-id}/feed: message (+ link, or photos uploaded unpublished)."""
        form: dict[str, str] = {"message": part.text}
        if photo_ids:
            for index, photo_id in enumerate(photo_ids):
                form[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
        elif link := first_link(part.text):
            form["link"] = link
        body = await self._call("POST", f"/{self.page_id}/feed", create=True, data=form)
        return self._post_id(body.get("id"))

    async def _single_photo(self, part: Part) -> str:
        """POST /{page-id}/photos with the file: one photo post; answers {id, post_id}."""
        body = await self._photo_request(part.media[0], message=part.text, published=True)
        return self._post_id(body.get("post_id"))

    async def _upload(self, item: MediaItem, *, published: bool) -> str:
        """An unpublished photo for a multi-photo post (no story appears until /feed)."""
        body = await self._photo_request(item, message="", published=published)
        photo_id = body.get("id")
        if not isinstance(photo_id, str | int) or not str(photo_id):
            raise Permanent("Facebook did not accept the photo upload.", code="no_photo_id")
        return str(photo_id)

    async def _photo_request(
        self, item: MediaItem, *, message: str, published: bool
    ) -> dict[str, Any]:
        try:
            data = await asyncio.to_thread(Path(item.path).read_bytes)
        except OSError as exc:
            raise Permanent(
                "Cuecast could not read the image file for this post.", code="media_missing"
            ) from exc
        form: dict[str, str] = {}
        if message:
            form["message"] = message
        if not published:
            form["published"] = "false"
        if item.alt_text:
            form["alt_text_custom"] = item.alt_text
        files = {"source": (Path(item.path).name, data, item.content_type)}
        # Only a published photo creates a post; an unpublished upload is safe to repeat.
        return await self._call(
            "POST", f"/{self.page_id}/photos", create=published, data=form, files=files
        )

    @staticmethod
    def _post_id(value: Any) -> str:
        if isinstance(value, str | int) and str(value):
            return str(value)
        # Created (2xx) but Facebook did not say as what: reconcile to find it.
        raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="no_id")

    # --- reconcile -----------------------------------------------------------------------------
    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Look for this request's post among the Page's recent posts, by its message.

        Facebook has no idempotency key: GET /{page-id}/posts since the attempt began (less clock
        skew), newest first, matching the message with whitespace collapsed.
        """
        if not request.parts:
            return None
        if request.already_published:
            return await self._result(request.already_published[0])
        started = request.attempt_started_at or (datetime.now(UTC) - NO_ATTEMPT_WINDOW)
        since = int((started - RECONCILE_SLACK).timestamp())
        wanted = comparable(request.parts[0].text)
        params: dict[str, str] = {
            "since": str(since),
            "fields": "id,message,created_time,permalink_url",
            "limit": str(LOOKUP_PAGE),
        }
        for _ in range(LOOKUP_PAGES):
            body = await self._call("GET", f"/{self.page_id}/posts", params=params)
            for post in body.get("data") or []:
                if not isinstance(post, dict) or not post.get("id"):
                    continue
                created = _graph_time(post.get("created_time"))
                if created is not None and created.timestamp() < since:
                    continue  # older than the attempt: not ours, even if Facebook ignored since
                if comparable(str(post.get("message") or "")) == wanted:
                    post_id = str(post["id"])
                    url = post.get("permalink_url")
                    permalink = (
                        url
                        if isinstance(url, str) and url.startswith("http")
                        else self.fallback_permalink(post_id)
                    )
                    return PublishResult(
                        external_id=post_id, permalink=permalink, part_ids=(post_id,)
                    )
            after = next_cursor(body)
            if after is None:
                break
            params = {**params, "after": after}
        return None

    # --- delete, metrics -----------------------------------------------------------------------
    async def delete(self, external_id: str) -> None:
        try:
            body = await self._call("DELETE", f"/{external_id}")
        except Permanent as exc:
            if exc.code == "not_found":
                return  # already gone: deleting is done
            raise
        if body.get("success") is not True:
            raise Permanent("Facebook did not delete the post.", code="not_deleted")

    async def fetch_metrics(self, external_id: str) -> dict[str, int]:
        """Facebook's own names: shares, comments, reactions (object counts) and post insights.

        Insights need the ANALYZE task and a Page with 100 or more likes; when Facebook refuses
        them (or a metric has been retired), the counts are returned alone.
        """
        body = await self._call("GET", f"/{external_id}", params={"fields": COUNT_FIELDS})
        metrics: dict[str, int] = {}
        shares = body.get("shares")
        metrics["shares"] = _int((shares or {}).get("count")) if isinstance(shares, dict) else 0
        for edge in ("comments", "reactions"):
            summary = (
                (body.get(edge) or {}).get("summary") if isinstance(body.get(edge), dict) else None
            )
            if isinstance(summary, dict) and "total_count" in summary:
                metrics[edge] = _int(summary.get("total_count"))
        metrics.update(await self._insights(external_id))
        return metrics

    async def fetch_account_metrics(self) -> dict[str, int]:
        """The Page's followers_count and fan_count fields, and the reach of its last complete
        day (page_total_media_view_unique, period=day; left out where Facebook refuses Page
        insights, e.g. under 100 likes)."""
        page = await self._call(
            "GET", f"/{self.page_id}", params={"fields": "followers_count,fan_count"}
        )
        figures = {
            name: value
            for name in ("followers_count", "fan_count")
            if isinstance(value := page.get(name), int) and not isinstance(value, bool)
        }
        try:
            insights = await self._call(
                "GET",
                f"/{self.page_id}/insights",
                params={"metric": "page_total_media_view_unique", "period": "day"},
            )
        except Permanent:
            return figures
        return {**figures, **last_complete_day(insights, datetime.now(UTC))}

    async def _insights(self, external_id: str) -> dict[str, int]:
        try:
            return _insight_values(await self._insight_call(external_id, INSIGHT_METRICS))
        except Permanent:
            pass  # one retired or refused metric fails the whole call: ask one by one
        found: dict[str, int] = {}
        for metric in INSIGHT_METRICS:
            try:
                found.update(_insight_values(await self._insight_call(external_id, (metric,))))
            except Permanent:
                continue
        return found

    async def _insight_call(self, external_id: str, metrics: tuple[str, ...]) -> dict[str, Any]:
        return await self._call(
            "GET",
            f"/{external_id}/insights",
            params={"metric": ",".join(metrics), "period": "lifetime"},
        )

    # --- credentials ---------------------------------------------------------------------------
    async def refresh_credentials(self) -> dict[str, Any] | None:
        """Page tokens do not expire and cannot be refreshed; a revoked one means reconnecting."""
        return None


def _graph_time(value: Any) -> datetime | None:
    """Graph's `2026-11-23T18:33:26+0000`."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return 0


def _insight_values(body: dict[str, Any]) -> dict[str, int]:
    """`{"data": [{"name", "period", "values": [{"value": 12 | {"like": 3, ...}}]}]}` → ints.

    A breakdown (post_reactions_by_type_total) becomes `name.key` entries."""
    found: dict[str, int] = {}
    for item in body.get("data") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        values = item.get("values") or []
        value = values[-1].get("value") if values and isinstance(values[-1], dict) else None
        name = item["name"]
        if isinstance(value, dict):
            for key, count in value.items():
                found[f"{name}.{key}"] = _int(count)
        elif value is not None:
            found[name] = _int(value)
    return found
