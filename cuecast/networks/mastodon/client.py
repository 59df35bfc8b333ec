"""One Mastodon account's connection: publish (with Idempotency-Key), reconcile, delete, metrics.

Sources: docs.joinmastodon.org/methods/statuses/, /methods/media/, /methods/accounts/#statuses,
/api/rate-limits/.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cuecast.networks.base import (
    Account,
    Connection,
    MediaItem,
    Part,
    PostOption,
    PublishRequest,
    PublishResult,
)
from cuecast.networks.errors import NetworkError, Permanent, Transient
from cuecast.networks.mastodon.counting import MENTION_RE
from cuecast.networks.mastodon.errors import (
    RateLimitInfo,
    error_from_response,
    error_from_transport,
    parse_time,
)
from cuecast.networks.mastodon.oauth import CLIENT_NAME, check_server

Sleep = Callable[[float], Awaitable[None]]

# How long to wait for Mastodon to process an upload (202 → GET /api/v1/media/:id until 200).
MEDIA_POLL_DELAYS: tuple[float, ...] = (0.5, 1, 1, 2, 2, 3, 5, 5, 5, 10, 10, 10)  # ~55 s in all
# Reconcile looks back this far before the attempt started (clock skew between us and the server).
CLOCK_SKEW = timedelta(minutes=2)
LOOKUP_PAGES = 5  # 5 x 40 statuses
NO_ATTEMPT_TIME_WINDOW = timedelta(hours=24)


def part_key(idempotency_key: str, index: int) -> str:
    """Each part of a thread has its own Idempotency-Key, so each is deduplicated on its own."""
    return f"{idempotency_key}:{index}"


def _plain(content_html: str) -> str:
    text = re.sub(r"<br\s*/?>", "\n", content_html, flags=re.I)
    text = re.sub(r"</p>\s*<p[^>]*>", "\n\n", text, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _fingerprint(text: str) -> str:
    """Text reduced to what survives Mastodon's HTML rendering: mentions lose their domain."""
    text = MENTION_RE.sub(lambda m: "@" + m.group("user"), text)
    return " ".join(text.split()).casefold()


class MastodonConnection(Connection):
    media_poll_delays: tuple[float, ...] = MEDIA_POLL_DELAYS

    def __init__(
        self, account: Account, http: httpx.AsyncClient, *, sleep: Sleep | None = None
    ) -> None:
        super().__init__(account, http)
        self.base = account.base_url.rstrip("/")
        self._options: dict[str, str] = {}
        self.rate_limit: RateLimitInfo | None = None
        self._sleep: Sleep = sleep or asyncio.sleep
        self._checked = False

    # --- plumbing --------------------------------------------------------------------------
    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.account.credentials.get('access_token', '')}"}
        headers.update(extra or {})
        return headers

    async def _call(
        self,
        method: str,
        path: str,
        *,
        creating: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if not self._checked:
            await check_server(self.base)
            self._checked = True
        try:
            response = await self.http.request(
                method, f"{self.base}{path}", headers=self._headers(headers), **kwargs
            )
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, creating=creating) from exc
        info = RateLimitInfo.from_headers(response.headers)
        if info is not None:
            self.rate_limit = info
        return response

    def _fail(self, response: httpx.Response, *, creating: bool = False) -> NetworkError:
        return error_from_response(
            response, creating=creating, refreshable="refresh_token" in self.account.credentials
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(
                "Mastodon sent an answer Cuecast could not read; it will try again."
            ) from exc

    # --- publish ---------------------------------------------------------------------------
    async def publish(self, request: PublishRequest) -> PublishResult:
        self._options = request.options
        if not request.parts:
            raise Permanent("The post has no content.")
        done = list(request.already_published)
        first_url: str | None = None
        for index, part in enumerate(request.parts):
            if index < len(done):
                continue
            reply_to = done[-1] if done else None
            try:
                media_ids = [await self._upload(item) for item in part.media]
                status = await self._create(
                    part, media_ids, reply_to, part_key(request.idempotency_key, index)
                )
            except NetworkError as exc:
                exc.published_part_ids = list(done)
                raise
            done.append(str(status["id"]))
            if index == 0:
                first_url = str(status.get("url") or status.get("uri") or "")
        if first_url is None:
            first_url = await self._permalink(done[0])
        return PublishResult(external_id=done[0], permalink=first_url, part_ids=tuple(done))

    async def _create(
        self, part: Part, media_ids: list[str], reply_to: str | None, key: str
    ) -> dict[str, Any]:
        form: dict[str, Any] = {"status": part.text}
        if media_ids:
            form["media_ids[]"] = media_ids
        if reply_to:
            form["in_reply_to_id"] = reply_to
        form.update(_status_options(self._options))
        response = await self._call(
            "POST", "/api/v1/statuses", creating=True, headers={"Idempotency-Key": key}, data=form
        )
        if response.status_code != 200:
            raise self._fail(response, creating=True)
        status = self._json(response)
        if not isinstance(status, dict) or "id" not in status:
            raise Transient("Mastodon sent an answer Cuecast could not read; it will try again.")
        return status

    async def _permalink(self, status_id: str) -> str:
        try:
            status = await self.lookup(status_id)
            return str(status.get("url") or status.get("uri") or "")
        except NetworkError:
            username = self.account.handle.lstrip("@").split("@")[0]
            return f"{self.base}/@{username}/{status_id}"

    async def _upload(self, item: MediaItem) -> str:
        allowed = self.account.settings.get("supported_mime_types")
        if isinstance(allowed, list) and allowed and item.content_type not in allowed:
            raise Permanent(f"This Mastodon server does not accept {item.content_type} files.")
        data = await asyncio.to_thread(Path(item.path).read_bytes)
        form = {"description": item.alt_text} if item.alt_text else {}
        files = {"file": (Path(item.path).name, data, item.content_type)}
        response = await self._call("POST", "/api/v2/media", data=form, files=files)
        if response.status_code not in (200, 202):
            raise self._fail(response)
        media = self._json(response)
        media_id = str(media["id"])
        if response.status_code == 200 and media.get("url"):
            return media_id
        return await self._wait_for_media(media_id)

    async def _wait_for_media(self, media_id: str) -> str:
        for delay in self.media_poll_delays:
            await self._sleep(delay)
            response = await self._call("GET", f"/api/v1/media/{media_id}")
            if response.status_code == 206:
                continue
            if response.status_code != 200:
                raise self._fail(response)
            if self._json(response).get("url"):
                return media_id
        raise Transient(
            "Mastodon is still processing an image; Cuecast will try again shortly.",
            code="media_processing",
        )

    # --- reconcile -------------------------------------------------------------------------
    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Look the post up on the account's timeline; never sends anything.

        Matches statuses created since the attempt began (less clock skew) by text, reply chain and
        the posting app. See docs/networks/mastodon.md#reconciliation for why this does not re-POST
        with the Idempotency-Key.
        """
        if not request.parts:
            return None
        since = (request.attempt_started_at or (_now() - NO_ATTEMPT_TIME_WINDOW)) - CLOCK_SKEW
        statuses = await self._recent_statuses(since)
        found = list(request.already_published)
        for index, part in enumerate(request.parts):
            if index < len(found):
                continue
            parent = found[-1] if found else None
            match = next((s for s in statuses if self._matches(s, part, parent)), None)
            if match is None:
                break
            found.append(str(match["id"]))
        if not found:
            return None
        if len(found) < len(request.parts):
            raise Transient(
                "Part of the thread went out on Mastodon; Cuecast will send the rest.",
                code="partial_thread",
                published_part_ids=found,
            )
        by_id = {str(s["id"]): s for s in statuses}
        first = by_id.get(found[0])
        permalink = (
            str(first.get("url") or first.get("uri")) if first else await self._permalink(found[0])
        )
        return PublishResult(external_id=found[0], permalink=permalink, part_ids=tuple(found))

    async def _recent_statuses(self, since: datetime) -> list[dict[str, Any]]:
        collected: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 40, "exclude_reblogs": "true"}
        for _ in range(LOOKUP_PAGES):
            response = await self._call(
                "GET", f"/api/v1/accounts/{self.account.external_id}/statuses", params=params
            )
            if response.status_code != 200:
                raise self._fail(response)
            page = self._json(response)
            if not isinstance(page, list) or not page:
                break
            collected.extend(s for s in page if isinstance(s, dict) and "id" in s)
            oldest = parse_time(str(page[-1].get("created_at") or ""))
            if oldest is None or oldest < since:
                break
            params["max_id"] = page[-1]["id"]
        return [
            s for s in collected if (parse_time(str(s.get("created_at") or "")) or since) >= since
        ]

    @staticmethod
    def _matches(status: dict[str, Any], part: Part, parent: str | None) -> bool:
        if (status.get("in_reply_to_id") or None) != parent:
            return False
        app = status.get("application")
        if isinstance(app, dict) and app.get("name") not in (None, CLIENT_NAME):
            return False
        if len(status.get("media_attachments") or []) != len(part.media):
            return False
        return _fingerprint(_plain(str(status.get("content") or ""))) == _fingerprint(part.text)

    # --- the rest --------------------------------------------------------------------------
    async def lookup(self, external_id: str) -> dict[str, Any]:
        response = await self._call("GET", f"/api/v1/statuses/{external_id}")
        if response.status_code != 200:
            raise self._fail(response)
        status = self._json(response)
        if not isinstance(status, dict):
            raise Transient("Mastodon sent an answer Cuecast could not read; it will try again.")
        return status

    async def delete(self, external_id: str) -> None:
        response = await self._call("DELETE", f"/api/v1/statuses/{external_id}")
        if response.status_code == 404:
            return  # already gone: deleting is done
        if response.status_code != 200:
            raise self._fail(response)

    async def fetch_metrics(self, external_id: str) -> dict[str, int]:
        status = await self.lookup(external_id)
        names = ("replies_count", "reblogs_count", "favourites_count", "quotes_count")
        return {n: int(status[n]) for n in names if isinstance(status.get(n), int)}

    async def fetch_account_metrics(self) -> dict[str, int]:
        """followers_count, following_count and statuses_count of the signed-in account
        (GET /api/v1/accounts/verify_credentials, needs `profile` or `read:accounts`)."""
        response = await self._call("GET", "/api/v1/accounts/verify_credentials")
        if response.status_code != 200:
            raise self._fail(response)
        account = self._json(response)
        if not isinstance(account, dict):
            raise Transient("Mastodon sent an answer Cuecast could not read; it will try again.")
        names = ("followers_count", "following_count", "statuses_count")
        return {n: int(account[n]) for n in names if isinstance(account.get(n), int)}

    async def refresh_credentials(self) -> dict[str, Any] | None:
        """Mastodon access tokens do not expire and come without refresh tokens; if a server did
        issue one, use it (RFC 6749 refresh grant)."""
        creds = self.account.credentials
        if not creds.get("refresh_token"):
            return None
        response = await self._call(
            "POST",
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": creds["refresh_token"],
                "client_id": creds.get("client_id", ""),
                "client_secret": creds.get("client_secret", ""),
            },
        )
        if response.status_code in (400, 401):
            raise error_from_response(response)  # refresh refused → Disconnected
        if response.status_code != 200:
            raise self._fail(response)
        token = self._json(response)
        new = dict(creds)
        new["access_token"] = token["access_token"]
        if token.get("refresh_token"):
            new["refresh_token"] = token["refresh_token"]
        self.account.credentials = new
        return new


def _now() -> datetime:
    return datetime.now(UTC)


def _status_options(options: dict[str, str]) -> dict[str, str]:
    """Cuecast's post options as Mastodon's status parameters (methods/statuses.md)."""
    form: dict[str, str] = {}
    if options.get(PostOption.CONTENT_WARNING):
        form["spoiler_text"] = options[PostOption.CONTENT_WARNING]
    if options.get(PostOption.VISIBILITY):
        form["visibility"] = options[PostOption.VISIBILITY]
    if options.get(PostOption.LANGUAGE):
        form["language"] = options[PostOption.LANGUAGE]
    return form
