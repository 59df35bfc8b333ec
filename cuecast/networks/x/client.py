"""One X account's connection: publish (threads as reply chains), reconcile, delete, metrics, refresh.

All calls are X API v2 with the account's OAuth 2.0 user token. Every answer's rate-limit headers
are kept in `rate_limits` (by endpoint) for the rate budgets; every failure is mapped in errors.py.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cuecast.config import Config
from cuecast.networks.base import Account, Connection, MediaItem, PublishRequest, PublishResult
from cuecast.networks.errors import (
    AuthExpired,
    NetworkError,
    OutcomeUnknown,
    Permanent,
    Transient,
)
from cuecast.networks.x import errors, ratelimit
from cuecast.networks.x.counting import comparable, nfc
from cuecast.networks.x.oauth import credentials_from_token, token_request

CHUNK_BYTES = 4 * 1024 * 1024  # an append segment may be up to 5 MB (docs: media upload chunked)
TIMELINE_PAGE = 100  # max_results upper bound for GET /2/users/{id}/tweets
TIMELINE_PAGES = 3  # a reconcile reads at most this many pages
RECONCILE_SLACK = timedelta(minutes=1)  # clock skew between Cuecast and X
MEDIA_POLL_LIMIT = 60.0  # seconds to wait for X to process an upload
GIF = "image/gif"


class XConnection(Connection):
    def __init__(self, account: Account, http: httpx.AsyncClient, config: Config) -> None:
        super().__init__(account, http)
        self.config = config
        self.rate_limits: dict[str, ratelimit.RateLimitInfo] = {}
        self.last_rate_limit: ratelimit.RateLimitInfo | None = None

    # --- plumbing ------------------------------------------------------------------------------
    async def _call(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        create: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call; the response if 2xx, else the mapped error. `endpoint` names the limit."""
        token = self.account.credentials.get("access_token")
        if not token:
            raise AuthExpired(errors.AUTH_MESSAGE, code="no_access_token")
        headers = {"Authorization": f"Bearer {token}"}
        try:
            response = await self.http.request(
                method, f"{self.config.x_api_url}{path}", headers=headers, **kwargs
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, create=create) from None
        info = ratelimit.parse(endpoint, response.headers)
        if info is not None:
            self.rate_limits[endpoint] = info
            self.last_rate_limit = info
        if not response.is_success:
            raise errors.from_response(response, create=create)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Permanent("X answered with something Cuecast cannot read.", code="bad_body")
        return body

    def permalink(self, post_id: str) -> str:
        return f"{self.config.x_web_url}/{self.account.handle}/status/{post_id}"

    def _result(self, part_ids: list[str]) -> PublishResult:
        return PublishResult(
            external_id=part_ids[0], permalink=self.permalink(part_ids[0]), part_ids=tuple(part_ids)
        )

    # --- publish -------------------------------------------------------------------------------
    async def publish(self, request: PublishRequest) -> PublishResult:
        if not request.parts:
            raise Permanent("There is nothing to post.", code="empty")
        part_ids = list(request.already_published[: len(request.parts)])
        for part in request.parts[len(part_ids) :]:
            try:
                media_ids = [await self._upload(item) for item in part.media]
                body: dict[str, Any] = {"text": nfc(part.text)}
                if media_ids:
                    body["media"] = {"media_ids": media_ids}
                if part_ids:
                    body["reply"] = {"in_reply_to_tweet_id": part_ids[-1]}
                response = await self._call(
                    "POST", "/2/tweets", endpoint="POST /2/tweets", create=True, json=body
                )
                post_id = self._json(response).get("data", {}).get("id")
                if not isinstance(post_id, str) or not post_id:
                    # It was created (2xx) but X did not say as what: reconcile to find it.
                    raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="no_id")
            except NetworkError as exc:
                exc.published_part_ids = list(part_ids)
                raise
            part_ids.append(post_id)
        return self._result(part_ids)

    async def _upload(self, item: MediaItem) -> str:
        """Chunked v2 upload (initialize → append → finalize → status), then the alt text."""
        data = await asyncio.to_thread(Path(item.path).read_bytes)
        category = "tweet_gif" if item.content_type == GIF else "tweet_image"
        started = await self._call(
            "POST",
            "/2/media/upload/initialize",
            endpoint="POST /2/media/upload/initialize",
            json={
                "media_type": item.content_type,
                "total_bytes": len(data),
                "media_category": category,
            },
        )
        media_id = str(self._json(started).get("data", {}).get("id") or "")
        if not media_id:
            raise Transient(
                "X did not start the image upload; Cuecast will try again.", code="no_media_id"
            )
        for index, offset in enumerate(range(0, len(data), CHUNK_BYTES)):
            await self._call(
                "POST",
                f"/2/media/upload/{media_id}/append",
                endpoint="POST /2/media/upload/{id}/append",
                data={"segment_index": str(index)},
                files={
                    "media": (
                        "blob",
                        data[offset : offset + CHUNK_BYTES],
                        "application/octet-stream",
                    )
                },
            )
        finished = await self._call(
            "POST",
            f"/2/media/upload/{media_id}/finalize",
            endpoint="POST /2/media/upload/{id}/finalize",
        )
        await self._wait_processed(media_id, self._json(finished).get("data", {}))
        if item.alt_text:
            await self._call(
                "POST",
                "/2/media/metadata",
                endpoint="POST /2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text[:1000]}}},
            )
        return media_id

    async def _wait_processed(self, media_id: str, data: dict[str, Any]) -> None:
        waited = 0.0
        while True:
            info = data.get("processing_info") or {}
            state = info.get("state")
            if state in (None, "succeeded"):
                return
            if state == "failed":
                raise Permanent("X could not process this image.", code="media_failed")
            if waited >= MEDIA_POLL_LIMIT:
                raise Transient(
                    "X is still processing the image; Cuecast will try again.", code="media_slow"
                )
            delay = max(1.0, float(info.get("check_after_secs") or 1))
            await asyncio.sleep(delay)
            waited += delay
            status = await self._call(
                "GET",
                "/2/media/upload",
                endpoint="GET /2/media/upload",
                params={"command": "STATUS", "media_id": media_id},
            )
            data = self._json(status).get("data", {})

    # --- reconcile -----------------------------------------------------------------------------
    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Look for this request's parts on the account's timeline (X has no idempotency key).

        The first part is matched by text (URLs removed, NFC: X returns t.co links); later parts
        by text within the first part's conversation, in order. The result holds the prefix of
        the thread that went out, so a retry can continue from there via `already_published`.
        """
        if not request.parts:
            return None
        posts = await self._recent_posts(request.attempt_started_at)
        oldest_first = sorted(posts, key=lambda p: int(p["id"]))
        wanted = comparable(request.parts[0].text)
        first = next(
            (p for p in oldest_first if comparable(str(p.get("text", ""))) == wanted), None
        )
        if first is None:
            return None
        part_ids = [str(first["id"])]
        thread = [p for p in oldest_first if p.get("conversation_id") == part_ids[0]]
        for part in request.parts[1:]:
            wanted = comparable(part.text)
            after = int(part_ids[-1])
            found = next(
                (
                    p
                    for p in thread
                    if int(p["id"]) > after and comparable(str(p.get("text", ""))) == wanted
                ),
                None,
            )
            if found is None:
                break
            part_ids.append(str(found["id"]))
        return self._result(part_ids)

    async def _recent_posts(self, since: datetime | None) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {
            "max_results": TIMELINE_PAGE,
            "tweet.fields": "created_at,conversation_id",
        }
        if since is not None:
            start = since - RECONCILE_SLACK
            params["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        posts: list[dict[str, Any]] = []
        for _ in range(TIMELINE_PAGES):
            response = await self._call(
                "GET",
                f"/2/users/{self.account.external_id}/tweets",
                endpoint="GET /2/users/{id}/tweets",
                params=params,
            )
            body = self._json(response)
            posts.extend(p for p in body.get("data") or [] if isinstance(p, dict) and "id" in p)
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token:
                break
            params["pagination_token"] = str(next_token)
        return posts

    # --- delete, metrics -------------------------------------------------------------------------
    async def delete(self, external_id: str) -> None:
        response = await self._call(
            "DELETE", f"/2/tweets/{external_id}", endpoint="DELETE /2/tweets/{id}"
        )
        body = self._json(response)
        if (body.get("data") or {}).get("deleted") is True:
            return
        if _not_found(body):
            return  # already gone: deleting is done
        raise Permanent("X did not delete the post.", code="not_deleted")

    async def fetch_metrics(self, external_id: str) -> dict[str, int]:
        """X's own metric names: public_metrics, plus non_public_metrics where X allows them.

        non_public_metrics need the owner's user token and a post under 30 days old; otherwise
        X leaves them out (or refuses the field), and the public ones are returned alone.
        """
        try:
            body = await self._metrics(external_id, "public_metrics,non_public_metrics")
        except Permanent as exc:
            if exc.status not in (400, 403):
                raise
            body = await self._metrics(external_id, "public_metrics")
        data = body.get("data")
        if not isinstance(data, dict):
            if _not_found(body):
                raise Permanent("This post no longer exists on X.", status=404, code="not_found")
            raise Permanent("X answered with something Cuecast cannot read.", code="bad_body")
        metrics: dict[str, int] = {}
        for group in ("public_metrics", "non_public_metrics"):
            for name, value in (data.get(group) or {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    metrics[name] = value
        return metrics

    async def fetch_account_metrics(self) -> dict[str, int]:
        """The account's public_metrics from GET /2/users/me: followers_count, following_count,
        tweet_count, listed_count (like_count where X sends it)."""
        response = await self._call(
            "GET",
            "/2/users/me",
            endpoint="GET /2/users/me",
            params={"user.fields": "public_metrics"},
        )
        data = self._json(response).get("data")
        public = (data or {}).get("public_metrics") if isinstance(data, dict) else None
        if not isinstance(public, dict):
            raise Permanent("X sent no figures for this account.", code="bad_body")
        return {
            name: value
            for name, value in public.items()
            if isinstance(value, int) and not isinstance(value, bool)
        }

    async def _metrics(self, external_id: str, fields: str) -> dict[str, Any]:
        response = await self._call(
            "GET",
            f"/2/tweets/{external_id}",
            endpoint="GET /2/tweets/{id}",
            params={"tweet.fields": fields},
        )
        return self._json(response)

    # --- credentials ---------------------------------------------------------------------------
    async def refresh_credentials(self) -> dict[str, Any] | None:
        """Trade the refresh token for a new pair; X rotates it, so the new one replaces the old."""
        refresh_token = self.account.credentials.get("refresh_token")
        if not refresh_token:
            return None
        body = await token_request(
            self.http,
            self.config,
            {"grant_type": "refresh_token", "refresh_token": str(refresh_token)},
        )
        credentials = credentials_from_token(body, previous=self.account.credentials)
        self.account.credentials = credentials
        return credentials


def _not_found(body: dict[str, Any]) -> bool:
    return any(
        isinstance(e, dict) and str(e.get("type", "")).endswith("/resource-not-found")
        for e in body.get("errors") or []
    )
