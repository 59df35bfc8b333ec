"""The Graph API conventions every Meta emulator follows.

- Errors: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id", ...}}``
  (developers.facebook.com/docs/graph-api/guides/error-handling), HTTP 400 unless said otherwise.
- Parameters may come in the query string, a form (urlencoded or multipart) or a JSON body;
  ``access_token`` may be any of those or an ``Authorization: Bearer|OAuth`` header.
- Paths carry a version segment (``/v21.0/...``); any ``vNN.N`` is accepted.
- Usage headers ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` report percentages that grow
  with every call (developers.facebook.com/docs/graph-api/overview/rate-limiting).
"""

from __future__ import annotations

import json
import re
import secrets
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from sandbox.common.network import Call, Endpoint, Network
from sandbox.common.tokens import Token

if TYPE_CHECKING:
    from sandbox.state import SandboxState

VERSION = re.compile(r"v\d+\.\d+")
DOCS = "https://developers.facebook.com/docs/graph-api"


def trace_id() -> str:
    return "A" + secrets.token_urlsafe(16)


def graph_error(
    message: str,
    code: int,
    *,
    subcode: int | None = None,
    type_: str = "OAuthException",
    status: int = 400,
    user_title: str | None = None,
    user_msg: str | None = None,
    transient: bool | None = None,
) -> JSONResponse:
    """The Graph error envelope."""
    error: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    if user_title is not None:
        error["error_user_title"] = user_title
    if user_msg is not None:
        error["error_user_msg"] = user_msg
    error["fbtrace_id"] = trace_id()
    headers = {}
    if code in (102, 190, 104):
        headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{message}"'
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def unsupported(method: str, object_id: str) -> JSONResponse:
    """What Graph answers for an unknown object, one the token may not see, or an operation the
    object does not support."""
    verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(method.upper(), "get")
    return graph_error(
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the "
        f"Graph API documentation at {DOCS}",
        100,
        subcode=33,
        type_="GraphMethodException",
    )


def invalid_param(message: str, subcode: int | None = None) -> JSONResponse:
    return graph_error(f"(#100) {message}", 100, subcode=subcode)


def server_error(status: int) -> JSONResponse:
    return graph_error(
        "An unexpected error has occurred. Please retry your request later.",
        2,
        status=status,
        transient=True,
    )


def token_error(token: Token | None, now: float, revoke_subcode: int, app_id: str) -> JSONResponse:
    """Code 190 (or 104 without a token): expired 463, revoked 458/460, unparseable no subcode."""
    if token is None:
        return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
    if token.revoked:
        if revoke_subcode == 460:
            message = (
                "Error validating access token: The session has been invalidated because the user "
                "changed their password or Facebook has changed the session for security reasons."
            )
        else:
            message = (
                f"Error validating access token: The user has not authorized application {app_id}."
            )
        return graph_error(message, 190, subcode=revoke_subcode)
    if token.expired(now):
        return graph_error(
            "Error validating access token: Session has expired. The current time is later than "
            "the token's expiry time.",
            190,
            subcode=463,
        )
    return graph_error("Invalid OAuth access token - Cannot parse access token", 190)


def missing_token() -> JSONResponse:
    return graph_error("An access token is required to request this resource.", 104)


# --- parameters -----------------------------------------------------------------------------
@dataclass
class Params:
    values: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # JSON values that are not strings

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def flag(self, key: str, default: bool) -> bool:
        raw = self.values.get(key)
        if raw is None:
            return default
        return raw.strip().lower() in ("1", "true", "yes", "on")

    def fields(self) -> list[str]:
        raw = self.values.get("fields", "")
        return [f.strip() for f in _split_fields(raw) if f.strip()]

    def list_param(self, key: str) -> list[str]:
        """``children=a,b``, ``children=["a","b"]`` or ``children[0]=a&children[1]=b``."""
        if key in self.extra and isinstance(self.extra[key], list):
            return [str(v) for v in self.extra[key]]
        raw = self.values.get(key)
        if raw is not None:
            raw = raw.strip()
            if raw.startswith("["):
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = None
                if isinstance(data, list):
                    return [str(v) for v in data]
            return [part.strip() for part in raw.split(",") if part.strip()]
        indexed = sorted(
            (k for k in self.values if k.startswith(f"{key}[")),
            key=lambda k: int(k[len(key) + 1 : -1]) if k[len(key) + 1 : -1].isdigit() else 0,
        )
        return [self.values[k] for k in indexed]


def _split_fields(raw: str) -> list[str]:
    """Split ``a,b{c,d},e.summary(true)`` on top-level commas."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in raw:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.split("{")[0].split(".")[0] for p in parts]


async def read_params(request: Request) -> Params:
    params = Params(values=dict(request.query_params))
    if request.method in ("GET", "HEAD"):
        return params
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        raw = await request.body()
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            data = {}
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, str):
                    params.values[key] = value
                elif isinstance(value, bool):
                    params.values[key] = "true" if value else "false"
                elif isinstance(value, (int, float)):
                    params.values[key] = str(value)
                else:
                    params.extra[key] = value
                    params.values[key] = json.dumps(value)
    elif "form" in ctype:
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                params.files[key] = value
            else:
                params.values[key] = str(value)
    return params


def params_of(call: Call) -> Params:
    found = getattr(call.request.state, "graph_params", None)
    return found if isinstance(found, Params) else Params(values=dict(call.request.query_params))


def token_value(request: Request) -> str | None:
    found = getattr(request.state, "graph_params", None)
    if isinstance(found, Params) and found.get("access_token"):
        return found.get("access_token")
    if request.query_params.get("access_token"):
        return request.query_params["access_token"]
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


# --- usage headers --------------------------------------------------------------------------
@dataclass
class UsageConfig:
    call_budget: int = 200  # calls per window that make 100 %
    window_seconds: float = 3600.0
    cputime_factor: float = 0.5  # total_cputime % = call_count % * factor
    time_factor: float = 0.6


@dataclass
class UsageMeter:
    """Rolling call counts per key; percentages of ``call_budget`` per window."""

    calls: dict[Hashable, deque[float]] = field(default_factory=dict)
    saturated: dict[Hashable, float] = field(default_factory=dict)  # key -> until

    def _prune(self, key: Hashable, now: float, window: float) -> deque[float]:
        calls = self.calls.setdefault(key, deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        return calls

    def hit(self, key: Hashable, now: float, cfg: UsageConfig, burst: bool) -> tuple[int, bool]:
        """Count one call; (call_count %, throttled)."""
        if burst:
            self.saturated[key] = now + cfg.window_seconds
        calls = self._prune(key, now, cfg.window_seconds)
        if self.saturated.get(key, 0) > now:
            return 100, True
        if len(calls) >= cfg.call_budget:
            return 100, True
        calls.append(now)
        return min(100, int(len(calls) * 100 / max(cfg.call_budget, 1))), False

    def regain_minutes(self, key: Hashable, now: float, cfg: UsageConfig) -> int:
        until = self.saturated.get(key, 0)
        if until > now:
            return max(1, int((until - now + 59) // 60))
        calls = self.calls.get(key)
        if calls and len(calls) >= cfg.call_budget:
            return max(1, int((calls[0] + cfg.window_seconds - now + 59) // 60))
        return 0


def usage_json(pct: int, cfg: UsageConfig) -> dict[str, int]:
    return {
        "call_count": pct,
        "total_cputime": min(100, int(pct * cfg.cputime_factor)),
        "total_time": min(100, int(pct * cfg.time_factor)),
    }


def buc_header(object_id: str, kind: str, pct: int, regain: int, cfg: UsageConfig) -> str:
    entry = {"type": kind, **usage_json(pct, cfg), "estimated_time_to_regain_access": regain}
    return json.dumps({object_id: [entry]}, separators=(",", ":"))


# --- rolling 24-hour quotas -----------------------------------------------------------------
@dataclass
class RollingQuota:
    """Timestamps of counted actions per key, in a rolling window."""

    events: dict[Hashable, list[float]] = field(default_factory=dict)

    def usage(self, key: Hashable, now: float, window: float, since: float | None = None) -> int:
        stamps = [t for t in self.events.get(key, []) if t > now - window]
        self.events[key] = stamps
        if since is not None:
            stamps = [t for t in stamps if t >= since]
        return len(stamps)

    def add(self, key: Hashable, now: float, count: int = 1) -> None:
        self.events.setdefault(key, []).extend([now] * count)

    def set_usage(self, key: Hashable, now: float, count: int) -> None:
        self.events[key] = [now] * max(count, 0)


# --- the network base -----------------------------------------------------------------------
class GraphNetwork(Network):
    """A Network that reads Graph parameters (and the token in them) before the pipeline."""

    async def _pipeline(self, sandbox: SandboxState, ep: Endpoint, request: Request) -> Response:
        version = request.path_params.get("version")
        if version is not None and not VERSION.fullmatch(str(version)):
            return graph_error(f"Unknown path components: /{version}", 2500)
        try:
            request.state.graph_params = await read_params(request)
        except Exception:  # a malformed body: the handler sees only the query string
            request.state.graph_params = Params(values=dict(request.query_params))
        return await super()._pipeline(sandbox, ep, request)

    def server_error(self, status: int) -> Response:
        return server_error(status)

    def routes(self) -> list[BaseRoute]:
        """Extra (literal) routes first, so ``/_files/x`` is not taken for ``/{version}/{id}``."""
        extras = self.extra_routes()
        endpoints = super().routes()[: len(super().routes()) - len(extras)]
        return extras + endpoints


def count_usage(
    call: Call,
    meter: UsageMeter,
    cfg: UsageConfig,
    who: str,
    buc: tuple[str, str] | None,
    burst: bool,
) -> bool:
    """Count the call in the app meter (``X-App-Usage``) and, for business objects (a Page, an
    Instagram or Threads account), in its BUC meter (``X-Business-Use-Case-Usage``).
    True when throttled. A burst throttles the business object when there is one (BUC limits
    govern calls on it, and X-App-Usage stays where it was), else the app."""
    now = call.now
    pct, throttled = meter.hit(("app", who), now, cfg, burst and buc is None)
    call.headers["x-app-usage"] = json.dumps(usage_json(pct, cfg), separators=(",", ":"))
    if buc is not None:
        object_id, kind = buc
        key = ("buc", object_id)
        buc_pct, buc_throttled = meter.hit(key, now, cfg, burst)
        regain = meter.regain_minutes(key, now, cfg)
        call.headers["x-business-use-case-usage"] = buc_header(
            object_id, kind, buc_pct, regain, cfg
        )
        throttled = throttled or buc_throttled
    return throttled


THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "There have been too many calls to this Page account. Wait a bit and try again.",
    80002: "There have been too many calls to this Instagram account. Wait a bit and try again.",
}


def throttled(code: int, status: int = 400) -> JSONResponse:
    return graph_error(
        THROTTLE_MESSAGES.get(code, f"(#{code}) Request limit reached"),
        code,
        status=status,
        transient=True,
    )


def set_config(config: Any, changes: dict[str, Any], network: str) -> None:
    """Assign ``changes`` to a dataclass config, converting to each field's current type."""
    for key, value in changes.items():
        if key.startswith("_") or not hasattr(config, key):
            raise ValueError(f"unknown {network} setting {key!r}")
        current = getattr(config, key)
        if isinstance(current, bool):
            if isinstance(value, str):
                value = value.strip().lower() in ("1", "true", "yes", "on")
            setattr(config, key, bool(value))
        elif isinstance(current, (int, float, str)):
            setattr(config, key, type(current)(value))
        else:
            raise ValueError(f"{network} setting {key!r} cannot be changed")
