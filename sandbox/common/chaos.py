"""Chaos mode: random misbehaviour, by probability per request, for ``make chaos``.

``POST /_sandbox/chaos`` turns it on::

    {"seed": 7, "error_5xx": 0.03, "timeout_after_accept": 0.01, "timeout_seconds": 3,
     "rate_limit_burst": 0.02, "slow": 0.05, "slow_seconds": 1.5}

Every request to an eligible endpoint draws one number from a generator seeded with ``seed``;
the probabilities, in the order of ``CHAOS_KINDS``, cut the unit interval into one slice per kind
and the rest means "behave". A drawn kind becomes a one-off ``Fault`` that the shared pipeline
applies exactly as an injected fault (docs/sandbox.md): a 5xx does nothing, a timeout after
accepting does the work and then withholds the answer, a 429 burst uses up the caller's
rate-limit window and answers with the network's own headers, a slow answer waits first.

Eligible: the write endpoints (POST, PUT, PATCH, DELETE) that need a token, except the sign-in and
token endpoints (a lost refresh token disconnects a channel, which is another test), of every
network or of ``networks``; or exactly the ``endpoints`` given ("METHOD /path", as for faults).
Explicit faults (``/_sandbox/faults``) go first: chaos only draws for requests no fault took.
With ``"first_of_each": true`` the first eligible requests get one fault of each kind whose
probability is above 0 (in a seeded order) before the draws begin, so that a short test run cannot
miss a kind by bad luck.

``GET /_sandbox/chaos`` reports what was injected, per kind and network, and how many requests
were eligible; ``DELETE`` turns chaos off and answers the same report (kept until the next start
or reset). Requests are drawn in arrival order, so one seed gives the same sequence of decisions
for the same sequence of requests; concurrent clients make the sequence itself vary.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.common.faults import Fault, endpoint_matches

if TYPE_CHECKING:
    from sandbox.common.network import Endpoint

CHAOS_KINDS = ("error_5xx", "timeout_after_accept", "rate_limit_burst", "slow")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Endpoint paths that hand out or renew credentials: left alone unless named in ``endpoints``.
CREDENTIAL_WORDS = ("oauth", "token", "session", "authoriz", "dialog")
CHAOS_FAULT_ID = 0  # chaos faults are not in the fault list; id 0 tells them apart


class ChaosError(ValueError):
    """A chaos request that cannot be honoured; the message names the field."""


@dataclass(frozen=True)
class ChaosSettings:
    seed: int
    probabilities: dict[str, float]
    timeout_seconds: float = 30.0
    slow_seconds: float = 1.5
    status: int = 503
    networks: tuple[str, ...] = ()  # empty: every network
    endpoints: tuple[str, ...] = ()  # empty: every write endpoint
    first_of_each: bool = False  # the first eligible requests get one of each kind (p > 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            **self.probabilities,
            "timeout_seconds": self.timeout_seconds,
            "slow_seconds": self.slow_seconds,
            "status": self.status,
            "networks": list(self.networks),
            "endpoints": list(self.endpoints),
            "first_of_each": self.first_of_each,
        }

    def seconds_for(self, kind: str) -> float:
        if kind == "timeout_after_accept":
            return self.timeout_seconds
        return self.slow_seconds if kind == "slow" else 30.0


def _number(spec: dict[str, Any], name: str, default: float, *, low: float, high: float) -> float:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ChaosError(f"{name} must be a number")
    try:
        number = float(value)
    except ValueError as exc:
        raise ChaosError(f"{name} must be a number") from exc
    if not math.isfinite(number) or not low <= number <= high:
        raise ChaosError(f"{name} must be between {low:g} and {high:g}")
    return number


def _names(spec: dict[str, Any], name: str) -> tuple[str, ...]:
    value = spec.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ChaosError(f"{name} must be a list of strings")
    return tuple(v.strip() for v in value)


def parse_settings(spec: dict[str, Any], networks: tuple[str, ...]) -> ChaosSettings:
    known = {*CHAOS_KINDS, "seed", "timeout_seconds", "slow_seconds", "status", "first_of_each"}
    unknown = sorted(set(spec) - known - {"networks", "endpoints"})
    if unknown:
        raise ChaosError(f"unknown chaos setting {unknown[0]!r}")
    probabilities = {k: _number(spec, k, 0.0, low=0.0, high=1.0) for k in CHAOS_KINDS}
    if sum(probabilities.values()) > 1.0 + 1e-9:
        raise ChaosError("the probabilities add up to more than 1")
    seed = spec.get("seed", random.SystemRandom().randrange(2**31))
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ChaosError("seed must be a whole number")
    chosen = _names(spec, "networks")
    strangers = [n for n in chosen if n not in networks]
    if strangers:
        raise ChaosError(f"networks: {strangers[0]!r} is not one of {', '.join(networks)}")
    status = _number(spec, "status", 503, low=500, high=599)
    if status != int(status):
        raise ChaosError("status must be a 5xx code")
    return ChaosSettings(
        seed=seed,
        probabilities=probabilities,
        timeout_seconds=_number(spec, "timeout_seconds", 30.0, low=0.0, high=600.0),
        slow_seconds=_number(spec, "slow_seconds", 1.5, low=0.0, high=600.0),
        status=int(status),
        networks=chosen,
        endpoints=_names(spec, "endpoints"),
        first_of_each=_flag(spec, "first_of_each"),
    )


def _flag(spec: dict[str, Any], name: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise ChaosError(f"{name} must be true or false")
    return value


def is_write_endpoint(endpoint: Endpoint) -> bool:
    """A write that needs a token, and not one that signs in or renews credentials."""
    if endpoint.method not in WRITE_METHODS or endpoint.auth == "none":
        return False
    path = endpoint.template.lower()
    return not any(word in path for word in CREDENTIAL_WORDS)


class Chaos:
    """The chaos settings in force (None: off), their generator and what they injected."""

    def __init__(self) -> None:
        self.settings: ChaosSettings | None = None
        self._random = random.Random(0)
        self.injected: Counter[tuple[str, str]] = Counter()  # (kind, network) -> count
        self.eligible: Counter[str] = Counter()  # network -> requests drawn for
        self._owed: list[str] = []  # kinds still to inject first (first_of_each)

    def start(self, settings: ChaosSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)
        self.injected.clear()
        self.eligible.clear()
        if settings.first_of_each:
            self._owed = [k for k in CHAOS_KINDS if settings.probabilities[k] > 0]
            self._random.shuffle(self._owed)

    def stop(self) -> None:
        self.settings = None

    def clear(self) -> None:
        self.stop()
        self.injected.clear()
        self.eligible.clear()

    def _applies(self, network: str, prefix: str, endpoint: Endpoint, path: str) -> bool:
        settings = self.settings
        if settings is None or (settings.networks and network not in settings.networks):
            return False
        if not settings.endpoints:
            return is_write_endpoint(endpoint)
        return any(
            endpoint_matches(wanted, prefix, endpoint.method, endpoint.template, path)
            for wanted in settings.endpoints
        )

    def draw(self, network: str, prefix: str, endpoint: Endpoint, path: str) -> Fault | None:
        """A one-off fault for this request, or None to behave. Call under the sandbox lock."""
        settings = self.settings
        if settings is None or not self._applies(network, prefix, endpoint, path):
            return None
        self.eligible[network] += 1
        kind = self._owed.pop() if self._owed else self._pick(settings)
        if kind is None:
            return None
        self.injected[(kind, network)] += 1
        return Fault(
            id=CHAOS_FAULT_ID,
            network=network,
            kind=kind,
            endpoint=endpoint.name,
            status=settings.status,
            seconds=settings.seconds_for(kind),
            applied=1,
        )

    def _pick(self, settings: ChaosSettings) -> str | None:
        roll = self._random.random()
        for kind in CHAOS_KINDS:
            roll -= settings.probabilities[kind]
            if roll < 0:
                return kind
        return None

    def report(self) -> dict[str, Any]:
        by_kind: dict[str, dict[str, int]] = {kind: {} for kind in CHAOS_KINDS}
        for (kind, network), count in sorted(self.injected.items()):
            by_kind[kind][network] = count
        return {
            "enabled": self.settings is not None,
            "settings": self.settings.to_json() if self.settings else None,
            "injected": by_kind,
            "totals": {kind: sum(by_kind[kind].values()) for kind in CHAOS_KINDS},
            "eligible": dict(sorted(self.eligible.items())),
        }


async def control_endpoint(request: Request) -> Response:
    """``POST /_sandbox/chaos`` starts (or restarts) chaos; ``GET`` reports; ``DELETE`` stops."""
    from sandbox.registry import NETWORKS  # the registry imports every network: import late

    sandbox = request.app.state.sandbox
    if request.method == "POST":
        try:
            raw = await request.body()
            spec = json.loads(raw) if raw.strip() else {}
            if not isinstance(spec, dict):
                raise ChaosError("body must be a JSON object")
            settings = parse_settings(spec, tuple(NETWORKS))
        except (ChaosError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        with sandbox.lock:
            sandbox.chaos.start(settings)
    elif request.method == "DELETE":
        with sandbox.lock:
            sandbox.chaos.stop()
    with sandbox.lock:
        return JSONResponse(sandbox.chaos.report())
