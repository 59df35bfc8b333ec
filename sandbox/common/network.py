"""The contract every network emulator meets, and the request pipeline they share.

A network is a ``Network`` subclass listing ``Endpoint``s. Every endpoint runs through
``_pipeline``: identify the caller, apply an injected fault, authenticate, check the access tier,
count the rate limit, run the handler, add rate-limit headers, and log the request.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.common.faults import Fault
from sandbox.common.logs import RequestRecord, redact_headers
from sandbox.common.tokens import Token

if TYPE_CHECKING:
    from sandbox.state import SandboxState


@dataclass
class Principal:
    """Who is calling: a user token, or an app-only token (``user_id`` None)."""

    token: Token
    user_id: str | None
    username: str | None


@dataclass
class Call:
    """One request as a handler sees it."""

    request: Request
    sandbox: SandboxState
    principal: Principal | None
    endpoint: Endpoint
    fault: Fault | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers

    @property
    def now(self) -> float:
        return self.sandbox.now()


Handler = Callable[[Call], Awaitable[Response]]


@dataclass
class Endpoint:
    method: str
    template: str  # path inside the network prefix, Starlette syntax: /2/tweets/{id}
    handler: Handler
    auth: str = "user"  # "user" | "app" (user or app token) | "optional" | "none"
    scopes: tuple[str, ...] = ()
    creates: bool = False  # creates a post: timeout_after_accept delays AFTER creation

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


class Network(ABC):
    """One emulated network, mounted at ``/{name}``."""

    name: str = ""
    tiers: tuple[str, ...] = ()  # access tiers the ``tier`` fault and config can switch to

    @property
    def prefix(self) -> str:
        return f"/{self.name}"

    @abstractmethod
    def initial_state(self) -> Any:
        """A fresh, pre-seeded state object."""

    @abstractmethod
    def endpoints(self) -> list[Endpoint]:
        """Every endpoint, run through the shared pipeline."""

    def extra_routes(self) -> list[BaseRoute]:
        """Routes outside the pipeline (static files); rarely needed."""
        return []

    # --- identity and auth -------------------------------------------------------------------
    @abstractmethod
    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        """The token the request carries, valid or not (no checks)."""

    @abstractmethod
    def username(self, sandbox: SandboxState, user_id: str) -> str | None: ...

    @abstractmethod
    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        """The network's answer to a missing, expired or revoked token."""

    @abstractmethod
    def scope_error(self, call: Call) -> Response: ...

    def has_scopes(self, token: Token, needed: tuple[str, ...]) -> bool:
        return all(scope in token.scopes for scope in needed)

    # --- misbehaviour ------------------------------------------------------------------------
    @abstractmethod
    def server_error(self, status: int) -> Response: ...

    @abstractmethod
    def rate_limited(self, call: Call) -> Response:
        """A 429 (headers are added by ``rate_limit``)."""

    def tier_error(self, call: Call, tier: str) -> Response | None:
        """The answer when the app's access tier forbids the call (None: no tiers here)."""
        return None

    def current_tier(self, sandbox: SandboxState) -> str | None:
        return None

    @abstractmethod
    def rate_limit(self, call: Call, burst: bool) -> bool:
        """Count the call, put rate-limit headers in ``call.headers``; True if over the limit."""

    # --- control API -------------------------------------------------------------------------
    @abstractmethod
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any: ...

    @abstractmethod
    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        """Pre-seeded accounts and clients, for the control index and the docs."""

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        """A new account on demand (sandbox/common/accounts.py); ``"tokens"`` in the answer is
        the body ``mint_tokens`` needs for it."""
        raise LookupError(f"{self.name} does not create accounts on demand")

    # --- routing -----------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(ep.template, self._route_handler(ep), methods=[ep.method])
            for ep in self.endpoints()
        ]
        return routes + self.extra_routes()

    def _route_handler(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            sandbox: SandboxState = request.app.state.sandbox
            return await self._pipeline(sandbox, endpoint, request)

        handle.__name__ = f"{self.name}_{endpoint.handler.__name__}"
        return handle

    async def _pipeline(self, sandbox: SandboxState, ep: Endpoint, request: Request) -> Response:
        with sandbox.lock:
            token = self.lookup_token(sandbox, request)
            user_keys: tuple[str, ...] = ()
            if token is not None and token.user_id is not None:
                username = self.username(sandbox, token.user_id) or ""
                user_keys = (token.user_id, username)
            fault = sandbox.faults.take(
                self.name,
                self.prefix,
                request.method,
                ep.template,
                _inner_path(self, request),
                user_keys,
            ) or sandbox.chaos.draw(self.name, self.prefix, ep, _inner_path(self, request))
        call = Call(request=request, sandbox=sandbox, principal=None, endpoint=ep, fault=fault)
        kind = fault.kind if fault else None
        if fault is not None and kind == "slow":
            await _sleep(sandbox, fault.seconds)
        response = await self._answer(call, token, kind)
        with sandbox.lock:
            delay = sandbox.latency.delay_for(self.name)
        if delay:  # after the handler: the post exists from arrival, the answer comes late
            # A plain sleep for the usual sub-second delay: thousands of answers wait at once.
            await (asyncio.sleep(delay) if delay < 1 else _sleep(sandbox, delay))
        if fault is not None and kind == "timeout_after_accept":
            await _sleep(sandbox, fault.seconds)
        for name, value in call.headers.items():
            response.headers[name] = value
        self._log(call, response)
        return response

    async def _answer(self, call: Call, token: Token | None, kind: str | None) -> Response:
        sandbox = call.sandbox
        fault = call.fault
        if fault is not None and kind == "error_5xx":
            return self.server_error(fault.status)
        with sandbox.lock:
            if kind in ("expire_token", "revoke_token") and token and token.user_id:
                store = self.token_store(sandbox)
                if kind == "expire_token":
                    store.expire_user(token.user_id, sandbox.now())
                else:
                    store.revoke_user(token.user_id)
            if call.endpoint.auth != "none":
                denied = self._authenticate(call, token)
                if denied is not None:
                    return denied
            tier = fault.tier if fault is not None and kind == "tier" else None
            tier = tier or self.current_tier(sandbox)
            if tier:
                refused = self.tier_error(call, tier)
                if refused is not None:
                    return refused
            if self.rate_limit(call, burst=kind == "rate_limit_burst"):
                return self.rate_limited(call)
        return await call.endpoint.handler(call)

    def _authenticate(self, call: Call, token: Token | None) -> Response | None:
        ep = call.endpoint
        now = call.sandbox.now()
        if token is None or not token.usable(now):
            if ep.auth == "optional" and token is None:
                return None
            return self.auth_error(call.sandbox, call, token)
        if ep.auth == "user" and token.user_id is None:
            return self.auth_error(call.sandbox, call, token)
        username = self.username(call.sandbox, token.user_id) if token.user_id else None
        call.principal = Principal(token=token, user_id=token.user_id, username=username)
        if ep.scopes and not self.has_scopes(token, ep.scopes):
            return self.scope_error(call)
        return None

    @abstractmethod
    def token_store(self, sandbox: SandboxState) -> Any:
        """The network's TokenStore."""

    def _log(self, call: Call, response: Response) -> None:
        request = call.request
        record = RequestRecord(
            network=self.name,
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            status=response.status_code,
            headers=redact_headers(request.headers),
            at=call.sandbox.now(),
            endpoint=call.endpoint.name,
            user=call.principal.username if call.principal else None,
            fault=call.fault.kind if call.fault else None,
        )
        with call.sandbox.lock:
            call.sandbox.logs.record_request(record)


def _inner_path(network: Network, request: Request) -> str:
    path = request.url.path
    return path[len(network.prefix) :] if path.startswith(network.prefix) else path


async def _sleep(sandbox: SandboxState, seconds: float) -> None:
    """Sleep, waking early when the server is shutting down."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not sandbox.stopping:
        left = deadline - loop.time()
        if left <= 0:
            return
        await asyncio.sleep(min(left, 0.05))


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None
