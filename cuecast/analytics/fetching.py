"""The network calls of a polling batch: concurrent, through the one HTTP client, each inside a
call scope so the ledger counts it.

Many polls of one batch often share a channel (a campaign's posts on one account), so they share
one `Account` and one lock: an expiring token is refreshed once for all of them, never by
several polls at once — X and Bluesky rotate refresh tokens, and a second refresh with a spent
one would disconnect the channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

import httpx
from asgiref.sync import sync_to_async

from cuecast import config, http
from cuecast.channels.models import Channel
from cuecast.channels.services import store_credentials
from cuecast.networks import errors, registry
from cuecast.networks.base import Account, Connection

PURPOSE = "metrics"


@dataclass
class ChannelAccess:
    """What a call needs of a channel, loaded from its row after the claim."""

    channel_id: int
    workspace_id: int
    network: str
    account: Account
    token_expires_at: datetime | None

    @classmethod
    def of(cls, channel: Channel) -> ChannelAccess:
        return cls(
            channel_id=channel.pk,
            workspace_id=channel.workspace_id,
            network=channel.network,
            account=Account(
                external_id=channel.external_id,
                handle=channel.handle,
                base_url=channel.base_url,
                credentials=dict(channel.credentials),
                settings=dict(channel.settings),
            ),
            token_expires_at=channel.token_expires_at,
        )


J = TypeVar("J")


@dataclass
class Fetched(Generic[J]):
    """One job's answer (the network's figures, or the error) and the calls it made."""

    job: J
    result: dict[str, int] | BaseException
    scopes: list[http.CallScope] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(len(scope.calls) for scope in self.scopes if scope.purpose == PURPOSE)


@dataclass
class _Session:
    """One channel's shared account and refresh lock within a batch."""

    access: ChannelAccess
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


Call = Callable[[Connection, J], Awaitable[dict[str, int]]]


async def fetch_all(
    jobs: Sequence[J],
    access_of: Callable[[J], ChannelAccess],
    target_of: Callable[[J], int | None],
    call: Call[J],
    now: datetime,
) -> list[Fetched[J]]:
    """Run `call` for every job concurrently (bounded by the worker's concurrency)."""
    settings = config.load()
    limit = asyncio.Semaphore(settings.worker_concurrency)
    sessions: dict[int, _Session] = {}
    for job in jobs:
        access = access_of(job)
        sessions.setdefault(access.channel_id, _Session(access))
    async with http.async_client(max_connections=settings.worker_concurrency) as client:

        async def one(job: J) -> Fetched[J]:
            session = sessions[access_of(job).channel_id]
            async with limit:
                return await _fetch_one(job, session, target_of(job), call, client, now)

        return list(await asyncio.gather(*(one(job) for job in jobs)))


async def _fetch_one(
    job: J,
    session: _Session,
    target_id: int | None,
    call: Call[J],
    client: httpx.AsyncClient,
    now: datetime,
) -> Fetched[J]:
    access = session.access
    fetched: Fetched[J] = Fetched(job, {})
    conn = registry.get(access.network).connect(access.account, client)
    try:
        await _refresh_if_expiring(session, conn, fetched, now)
        fetched.result = await _call_once_refreshing(job, session, conn, call, target_id, fetched)
    except Exception as exc:  # the job's outcome, settled by the caller; never lost
        fetched.result = exc
    return fetched


async def _call_once_refreshing(
    job: J,
    session: _Session,
    conn: Connection,
    call: Call[J],
    target_id: int | None,
    fetched: Fetched[J],
) -> dict[str, int]:
    """The call; after an AuthExpired, refresh (once per channel) and call again."""
    token = _token(session.access)
    try:
        return await _scoped(call(conn, job), session.access, target_id, fetched)
    except errors.AuthExpired:
        async with session.lock:
            if _token(session.access) == token and not await _refresh(session, conn, fetched):
                raise
        return await _scoped(call(conn, job), session.access, target_id, fetched)


async def _scoped(
    work: Awaitable[dict[str, int]],
    access: ChannelAccess,
    target_id: int | None,
    fetched: Fetched[J],
) -> dict[str, int]:
    with http.call_scope(
        access.network,
        PURPOSE,
        workspace_id=access.workspace_id,
        channel_id=access.channel_id,
        target_id=target_id,
    ) as scope:
        fetched.scopes.append(scope)
        return await work


async def _refresh_if_expiring(
    session: _Session, conn: Connection, fetched: Fetched[J], now: datetime
) -> None:
    ahead = registry.get(session.access.network).descriptor.refresh_ahead
    async with session.lock:
        expires = session.access.token_expires_at
        if expires is not None and expires < now + ahead:
            await _refresh(session, conn, fetched)


async def _refresh(session: _Session, conn: Connection, fetched: Fetched[J]) -> bool:
    """Refresh the channel's credentials and store them at once (a rotated refresh token that
    is lost would disconnect the channel). Counted in the ledger as "refresh"."""
    access = session.access
    with http.call_scope(
        access.network, "refresh", workspace_id=access.workspace_id, channel_id=access.channel_id
    ) as scope:
        fetched.scopes.append(scope)
        credentials = await conn.refresh_credentials()
    if credentials is None:
        return False
    expires = credentials.get("expires_at")
    access.token_expires_at = datetime.fromisoformat(expires) if isinstance(expires, str) else None
    access.account.credentials = credentials
    await sync_to_async(store_credentials)(access.channel_id, credentials, access.token_expires_at)
    return True


def _token(access: ChannelAccess) -> object:
    """Something that changes when the credentials do (their access token, whatever its key)."""
    creds = access.account.credentials
    return creds.get("access_token") or creds.get("accessJwt") or id(creds)
