"""One Threads account's connection: two-phase publishing (threads as reply chains), reconcile
by container status, delete, insights, token refresh.

developers.facebook.com/docs/threads/posts: a post is a media container
(`POST /{user}/threads`) that is published (`POST /{user}/threads_publish?creation_id=`). The
container id is recorded (`record_progress`) the moment it exists, so a retry reuses it and a
reconciliation asks the container itself whether it went out (status PUBLISHED).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
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
    AuthExpired,
    NetworkError,
    OutcomeUnknown,
    Permanent,
    QuotaExhausted,
    Transient,
)
from cuecast.networks.threads import errors, oauth, ratelimit
from cuecast.networks.threads.counting import comparable, links
from cuecast.networks.threads.descriptor import (
    API_VERSION,
    IMAGE_TYPES,
    MAX_ALT_TEXT,
    MAX_CAROUSEL_ITEMS,
    MAX_LINKS,
)

Sleep = Callable[[float], Awaitable[None]]

# Container status values (docs, troubleshooting).
FINISHED, IN_PROGRESS, ERROR, EXPIRED, PUBLISHED = (
    "FINISHED",
    "IN_PROGRESS",
    "ERROR",
    "EXPIRED",
    "PUBLISHED",
)
# How long to wait for a container to be ready. The docs suggest ~30 s on average before
# publishing media and, for video, a status check once a minute for up to 5 minutes; Cuecast
# checks at once (text is usually ready), then backs off for about a minute, and leaves the rest
# to a later attempt, which reuses the recorded container.
POLL_DELAYS: tuple[float, ...] = (0.0, 1, 2, 3, 5, 8, 10, 15, 15)
RECONCILE_SLACK = timedelta(minutes=2)  # clock skew between Cuecast and Threads
NO_ATTEMPT_WINDOW = timedelta(hours=24)
LIST_PAGE = 100
LIST_PAGES = 3
QUOTA_WINDOW = 86400  # seconds; read from the answer's quota_duration when present
PROFILE_URL = "https://www.threads.com/@{handle}"

PUBLIC_URL_MESSAGE = (
    "Threads fetches images from Cuecast's own address, and Cuecast has no public one. An "
    "administrator must set CUECAST_PUBLIC_URL to an address reachable from the internet."
)
REPLY_QUOTA_MESSAGE = (
    "This Threads account has used up its 24-hour limit of replies, which the later parts of a "
    "thread count against; Cuecast will post again when it reopens."
)


def _now() -> datetime:
    return datetime.now(UTC)


def _part_key(part: Part) -> str:
    """What a container was made of: a retry reuses a container only for the same content."""
    digest = hashlib.sha256(part.text.encode("utf-8"))
    for item in part.media:
        digest.update(b"\0" + item.url.encode("utf-8") + b"\0" + item.alt_text.encode("utf-8"))
    return digest.hexdigest()[:24]


def _timestamp(value: Any) -> datetime | None:
    """Threads timestamps look like 2024-07-09T12:34:56+0000."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ThreadsConnection(Connection):
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
        self.usage: ratelimit.Usage | None = None
        self._sleep: Sleep = sleep or asyncio.sleep

    # --- plumbing ------------------------------------------------------------------------------
    def _refreshable(self) -> bool:
        credentials = self.account.credentials
        return oauth.refreshable(credentials) and not oauth.too_young(credentials)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        create: bool = False,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One API call; the JSON object if 2xx, else the mapped error. The token goes in the
        form body of a POST and in the query of a GET or DELETE, as the docs show."""
        token = self.account.credentials.get("access_token")
        if not token:
            raise AuthExpired(errors.AUTH_MESSAGE, code="no_access_token")
        url = f"{self.config.threads_api_url}/{API_VERSION}{path}"
        kwargs: dict[str, Any] = {}
        if method == "POST":
            kwargs["data"] = {**(data or {}), "access_token": token}
            if params:
                kwargs["params"] = params
        else:
            kwargs["params"] = {**(params or {}), "access_token": token}
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise errors.from_transport(exc, create=create) from None
        usage = ratelimit.parse(response.headers)
        if usage is not None:
            self.usage = usage
        if not response.is_success:
            raise errors.from_response(response, create=create, refreshable=self._refreshable())
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if create:  # it went through, but Threads did not say as what: reconcile
                raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="bad_body")
            raise Transient(errors.TRANSIENT_MESSAGE, code="bad_body")
        return body

    @property
    def _user(self) -> str:
        return self.account.external_id

    # --- publish -------------------------------------------------------------------------------
    async def publish(self, request: PublishRequest) -> PublishResult:
        if not request.parts:
            raise Permanent("There is nothing to post.", code="empty")
        for part in request.parts:
            self._check_part(part)
        done = list(request.already_published[: len(request.parts)])
        remaining = len(request.parts) - len(done)
        if remaining:
            await self._check_quota(post=not done, replies=remaining - (0 if done else 1))
        containers = dict(_progress(request, "containers"))
        keys = dict(_progress(request, "container_keys"))
        for index in range(len(done), len(request.parts)):
            try:
                media_id = await self._publish_part(
                    index, request.parts[index], done[-1] if done else None, containers, keys
                )
            except NetworkError as exc:
                exc.published_part_ids = list(done)
                raise
            done.append(media_id)
        return await self._result(done)

    def _check_part(self, part: Part) -> None:
        """Refuse what Threads would refuse, before anything is created."""
        if len(links(part.text)) > MAX_LINKS:
            raise Permanent(
                "Threads allows at most 5 links in a post. Remove some links and try again.",
                code="link-limit",
            )
        if len(part.media) > MAX_CAROUSEL_ITEMS:
            raise Permanent(
                f"Threads allows at most {MAX_CAROUSEL_ITEMS} images in a post.", code="too_many"
            )
        if not part.text.strip() and not part.media:
            raise Permanent("There is nothing to post.", code="empty")
        for item in part.media:
            if not item.content_type.startswith("video/") and item.content_type not in IMAGE_TYPES:
                raise Permanent("Threads accepts JPEG and PNG images only.", code="media_type")
            if not self._public(item.url):
                raise Permanent(PUBLIC_URL_MESSAGE, code="no_public_url")

    def _public(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if self.config.sandbox_enabled:
            return True  # the emulator fetches from the local Cuecast
        host = parts.hostname
        if host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
            return False
        try:
            return ipaddress.ip_address(host).is_global
        except ValueError:
            return True  # a name: only Threads' fetch can tell

    async def _check_quota(self, *, post: bool, replies: int) -> None:
        """Read the rolling 24-hour caps before publishing (docs: overview, "Posts"; replies:
        retrieve-and-manage-replies) and hold the post instead of calling into a full quota."""
        fields = ["quota_usage", "config"] if post else []
        if replies > 0:
            fields += ["reply_quota_usage", "reply_config"]
        body = await self._call(
            "GET", f"/{self._user}/threads_publishing_limit", params={"fields": ",".join(fields)}
        )
        data = body.get("data")
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        if post and _full(entry.get("quota_usage"), entry.get("config"), 1):
            duration = _duration(entry.get("config"))
            raise QuotaExhausted(
                errors.QUOTA_MESSAGE,
                code="publishing_limit",
                retry_at=await self._reopens_at("threads", duration),
            )
        if replies > 0 and _full(
            entry.get("reply_quota_usage"), entry.get("reply_config"), replies
        ):
            duration = _duration(entry.get("reply_config"))
            raise QuotaExhausted(
                REPLY_QUOTA_MESSAGE,
                code="reply_limit",
                retry_at=await self._reopens_at("replies", duration),
            )

    async def _reopens_at(self, edge: str, duration: int) -> datetime:
        """The earliest time the rolling window can free a slot: when the oldest of the account's
        posts inside it leaves it. Without one (or if the look-up fails), a whole window."""
        now = _now()
        try:
            items = await self._list(edge, now - timedelta(seconds=duration), "id,timestamp")
        except NetworkError:
            items = []
        stamps = [t for t in (_timestamp(i.get("timestamp")) for i in items) if t is not None]
        if stamps:
            return max(min(stamps) + timedelta(seconds=duration), now) + errors.MARGIN
        return now + timedelta(seconds=duration) + errors.MARGIN

    async def _publish_part(
        self,
        index: int,
        part: Part,
        reply_to: str | None,
        containers: dict[str, str],
        keys: dict[str, str],
    ) -> str:
        container = await self._ready_container(index, part, reply_to, containers, keys)
        body = await self._call(
            "POST", f"/{self._user}/threads_publish", create=True, data={"creation_id": container}
        )
        media_id = body.get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            # Published (2xx) but Threads did not say as what: reconcile finds it.
            raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="no_id")
        return str(media_id)

    async def _ready_container(
        self,
        index: int,
        part: Part,
        reply_to: str | None,
        containers: dict[str, str],
        keys: dict[str, str],
    ) -> str:
        """The part's container, FINISHED: the one an earlier attempt made, else a new one."""
        existing = containers.get(str(index))
        if existing and keys.get(str(index)) in (None, _part_key(part)):
            status, message = await self._status(existing)
            if status == PUBLISHED:
                # An earlier attempt published it and did not learn the media id.
                raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="container_published")
            if status == ERROR:
                raise errors.container_failed(message, has_media=bool(part.media))
            if status in (FINISHED, IN_PROGRESS):
                await self._wait(existing, status, message, has_media=bool(part.media))
                return existing
            # EXPIRED (not published within 24 hours): make a new one.
        created = await self._create(part, reply_to)
        containers[str(index)] = created
        keys[str(index)] = _part_key(part)
        # Progress merges by top-level key: always record the whole map.
        await self.record_progress({"containers": dict(containers), "container_keys": dict(keys)})
        await self._wait(created, has_media=bool(part.media))
        return created

    async def _create(self, part: Part, reply_to: str | None) -> str:
        data: dict[str, Any] = {}
        if part.text:
            data["text"] = part.text
        if reply_to:
            data["reply_to_id"] = reply_to
        if not part.media:
            data["media_type"] = "TEXT"
        elif len(part.media) == 1:
            data.update(_media_fields(part.media[0]))
        else:
            children = [await self._child(item) for item in part.media]
            data["media_type"] = "CAROUSEL"
            data["children"] = ",".join(children)
        return await self._new_container(data)

    async def _child(self, item: MediaItem) -> str:
        return await self._new_container({**_media_fields(item), "is_carousel_item": "true"})

    async def _new_container(self, data: dict[str, Any]) -> str:
        # Not a create in the retry sense: an unpublished container expires unseen (errors.py).
        body = await self._call("POST", f"/{self._user}/threads", data=data)
        container = body.get("id")
        if not isinstance(container, str | int) or not str(container):
            raise Transient(errors.TRANSIENT_MESSAGE, code="no_container_id")
        return str(container)

    async def _status(self, container: str) -> tuple[str, str]:
        body = await self._call("GET", f"/{container}", params={"fields": "status,error_message"})
        return str(body.get("status") or ""), str(body.get("error_message") or "")

    async def _wait(
        self, container: str, status: str = "", message: str = "", *, has_media: bool = False
    ) -> None:
        for delay in self.poll_delays:
            if status == FINISHED:
                return
            if status == ERROR:
                raise errors.container_failed(message, has_media=has_media)
            if status == PUBLISHED:
                raise OutcomeUnknown(errors.UNKNOWN_MESSAGE, code="container_published")
            if status == EXPIRED:
                raise Transient(
                    "Threads let the prepared post expire; Cuecast will prepare it again.",
                    code="container_expired",
                )
            if delay:
                await self._sleep(delay)
            status, message = await self._status(container)
        if status == FINISHED:
            return
        if status in (ERROR, PUBLISHED, EXPIRED):
            await self._wait(container, status, message, has_media=has_media)  # raises
        raise Transient(
            "Threads is still preparing the post's media; Cuecast will try again shortly.",
            code="container_in_progress",
        )

    async def _result(self, part_ids: list[str]) -> PublishResult:
        return PublishResult(
            external_id=part_ids[0],
            permalink=await self._permalink(part_ids[0]),
            part_ids=tuple(part_ids),
        )

    async def _permalink(self, media_id: str) -> str:
        """The post's permalink; the profile's address if Threads leaves it out (it does for
        flagged media) or cannot be asked: the post is out either way."""
        try:
            body = await self._call("GET", f"/{media_id}", params={"fields": "id,permalink"})
            link = body.get("permalink")
            if isinstance(link, str) and link.startswith("http"):
                return link
        except NetworkError:
            pass
        return PROFILE_URL.format(handle=self.account.handle)

    # --- reconcile -----------------------------------------------------------------------------
    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Was this request published? Ask each part's recorded container; never creates.

        A container only becomes PUBLISHED through threads_publish, so its status is proof. The
        media id is then found among the account's posts (the first part) or replies (the
        rest) since the attempt began, by text. No recorded container: nothing was published,
        because the container is recorded before it can be published.
        """
        if not request.parts:
            return None
        containers = _progress(request, "containers")
        found = list(request.already_published[: len(request.parts)])
        since = (request.attempt_started_at or _now() - NO_ATTEMPT_WINDOW) - RECONCILE_SLACK
        for index in range(len(found), len(request.parts)):
            container = containers.get(str(index))
            if not container:
                break
            status, _ = await self._status(container)
            if status != PUBLISHED:
                break
            media_id = await self._find_media(
                request.parts[index], found[-1] if found else None, since, found
            )
            if media_id is None:
                raise Transient(
                    "Threads says the post went out but does not list it yet; Cuecast will look "
                    "again.",
                    code="published_not_listed",
                    published_part_ids=found,
                )
            found.append(media_id)
        if not found:
            return None
        if len(found) < len(request.parts):
            raise Transient(
                "Part of the thread went out on Threads; Cuecast will send the rest.",
                code="partial_thread",
                published_part_ids=found,
            )
        return await self._result(found)

    async def _find_media(
        self, part: Part, parent: str | None, since: datetime, exclude: list[str]
    ) -> str | None:
        edge = "threads" if parent is None else "replies"
        fields = "id,text,timestamp" + ("" if parent is None else ",replied_to")
        wanted = comparable(part.text)
        matches = []
        for item in await self._list(edge, since, fields):
            media_id = str(item.get("id") or "")
            if not media_id or media_id in exclude:
                continue
            if comparable(str(item.get("text") or "")) != wanted:
                continue
            stamp = _timestamp(item.get("timestamp"))
            if stamp is not None and stamp < since:
                continue  # older than the attempt: another post with the same words
            replied_to = item.get("replied_to")
            if (
                parent is not None
                and isinstance(replied_to, dict)
                and str(replied_to.get("id") or "") != parent
            ):
                continue
            matches.append((stamp or since, media_id))
        return min(matches)[1] if matches else None

    async def _list(self, edge: str, since: datetime, fields: str) -> list[dict[str, Any]]:
        """The account's posts (`threads`) or replies (`replies`) since a time, newest first."""
        params: dict[str, Any] = {
            "fields": fields,
            "since": int(since.timestamp()),
            "limit": LIST_PAGE,
        }
        items: list[dict[str, Any]] = []
        for _ in range(LIST_PAGES):
            body = await self._call("GET", f"/{self._user}/{edge}", params=params)
            page = body.get("data")
            items.extend(i for i in page or [] if isinstance(i, dict))
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if not page or not after or not (body.get("paging") or {}).get("next"):
                break
            params["after"] = after
        return items

    # --- delete, metrics, credentials ------------------------------------------------------------
    async def delete(self, external_id: str) -> None:
        """DELETE /{media-id} (needs threads_delete; 100 deletes per account per day)."""
        try:
            body = await self._call("DELETE", f"/{external_id}")
        except Permanent as exc:
            if exc.code == "not_found":
                return  # already gone: deleting is done
            raise
        if body.get("success") is not True:
            raise Permanent("Threads did not delete the post.", code="not_deleted")

    async def fetch_metrics(self, external_id: str) -> dict[str, int]:
        """Threads' own metric names (docs, insights): views, likes, replies, reposts, quotes,
        shares. Nested replies are not counted; a repost of someone else's post has none."""
        try:
            body = await self._insights(external_id, "views,likes,replies,reposts,quotes,shares")
        except Permanent as exc:
            if exc.code != "invalid_parameter":
                raise
            body = await self._insights(external_id, "views,likes,replies,reposts,quotes")
        metrics: dict[str, int] = {}
        for entry in body.get("data") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            value = _metric_value(entry)
            if value is not None:
                metrics[entry["name"]] = value
        return metrics

    async def fetch_account_metrics(self) -> dict[str, int]:
        """followers_count from the user's threads_insights: the current total, whatever the
        range (documentation/threads/insights, "User Insights")."""
        body = await self._call(
            "GET", f"/{self._user}/threads_insights", params={"metric": "followers_count"}
        )
        figures: dict[str, int] = {}
        for entry in body.get("data") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                value = _metric_value(entry)
                if value is not None:
                    figures[entry["name"]] = value
        return figures

    async def _insights(self, external_id: str, metrics: str) -> dict[str, Any]:
        return await self._call("GET", f"/{external_id}/insights", params={"metric": metrics})

    async def refresh_credentials(self) -> dict[str, Any] | None:
        """Refresh the long-lived token (th_refresh_token). Threads refreshes a token only while
        it is unexpired and at least 24 hours old: otherwise None (an expired one needs the user
        to connect again, which the API's answer then says)."""
        credentials = self.account.credentials
        if not credentials.get("access_token") or not self._refreshable():
            return None
        fresh = await oauth.refresh(self.http, self.config, credentials)
        self.account.credentials = {**credentials, **fresh}
        return self.account.credentials


def _progress(request: PublishRequest, key: str) -> dict[str, str]:
    value = request.progress.get(key)
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v}


def _media_fields(item: MediaItem) -> dict[str, Any]:
    if item.content_type.startswith("video/"):
        fields: dict[str, Any] = {"media_type": "VIDEO", "video_url": item.url}
    else:
        fields = {"media_type": "IMAGE", "image_url": item.url}
    if item.alt_text:
        fields["alt_text"] = item.alt_text[:MAX_ALT_TEXT]  # [unconfirmed parameter]
    return fields


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _duration(config: Any) -> int:
    value = _int(config.get("quota_duration")) if isinstance(config, dict) else None
    return value if value and value > 0 else QUOTA_WINDOW


def _full(usage: Any, config: Any, needed: int) -> bool:
    used = _int(usage)
    total = _int(config.get("quota_total")) if isinstance(config, dict) else None
    if used is None or total is None:
        return False  # not said: let threads_publish enforce it
    return used + needed > total


def _metric_value(entry: dict[str, Any]) -> int | None:
    values = entry.get("values")
    if isinstance(values, list) and values and isinstance(values[0], dict):
        return _int(values[0].get("value"))
    total = entry.get("total_value")
    if isinstance(total, dict):
        return _int(total.get("value"))
    return None
