"""Realistic answer times: a log-normal delay per network, set through ``/_sandbox/latency``.

Real APIs answer in about a tenth of a second with a long tail. A log-normal distribution fits
that shape with two figures people actually quote, the median and the 99th percentile:
``ln(delay)`` is normal with ``mu = ln(median)`` and ``sigma = ln(p99 / median) / z(0.99)``.

The delay is added after the handler has run, so a post's received time in ``/_sandbox/received``
is when the request arrived, and the caller waits for the answer as it would on the real network.
The wait is an ``asyncio.sleep``: the server keeps answering other requests meanwhile.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ALL_NETWORKS = "*"
Z_99 = 2.326347874040841  # the standard normal's 99th percentile
MAX_DELAY_MS = 60_000.0  # a bound for the tail, so a freak draw never outlives a client timeout


class LatencyError(ValueError):
    """A latency request that cannot be honoured; the message says which field is wrong."""


@dataclass
class LatencyProfile:
    """One network's answer time: log-normal with this median and 99th percentile."""

    network: str
    median_ms: float
    p99_ms: float
    seed: int | None = None
    applied: int = 0  # answers delayed so far, so a test can see the profile at work
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def sigma(self) -> float:
        return math.log(self.p99_ms / self.median_ms) / Z_99 if self.median_ms > 0 else 0.0

    def draw_seconds(self) -> float:
        if self.median_ms <= 0:
            return 0.0
        self.applied += 1
        delay_ms = self._rng.lognormvariate(math.log(self.median_ms), self.sigma)
        return min(delay_ms, MAX_DELAY_MS) / 1000.0

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "median_ms": self.median_ms,
            "p99_ms": self.p99_ms,
            "seed": self.seed,
            "applied": self.applied,
        }


def _number(body: dict[str, Any], name: str, default: float | None = None) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise LatencyError(f"{name} must be a number of milliseconds")
    try:
        number = float(value)
    except ValueError as exc:
        raise LatencyError(f"{name} must be a number of milliseconds") from exc
    if not math.isfinite(number) or number < 0:
        raise LatencyError(f"{name} must be zero or more milliseconds")
    return number


def parse_profile(body: dict[str, Any], networks: tuple[str, ...]) -> LatencyProfile:
    network = str(body.get("network", ALL_NETWORKS))
    if network != ALL_NETWORKS and network not in networks:
        raise LatencyError(f"network must be '*' or one of {', '.join(networks)}")
    median = _number(body, "median_ms")
    p99 = _number(body, "p99_ms", median)
    if p99 < median:
        raise LatencyError("p99_ms must be at least median_ms")
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise LatencyError("seed must be a whole number")
    return LatencyProfile(network=network, median_ms=median, p99_ms=p99, seed=seed)


class LatencyTable:
    """The profiles in force: one per network, plus an optional ``*`` for every other network."""

    def __init__(self) -> None:
        self._profiles: dict[str, LatencyProfile] = {}

    def set(self, profile: LatencyProfile) -> None:
        if profile.median_ms <= 0:
            self._profiles.pop(profile.network, None)  # 0 ms: answer at once, as before
        else:
            self._profiles[profile.network] = profile

    def delay_for(self, network: str) -> float:
        """Seconds to hold this network's next answer (0 when no profile applies)."""
        profile = self._profiles.get(network) or self._profiles.get(ALL_NETWORKS)
        return profile.draw_seconds() if profile is not None else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"latency": [p.to_json() for p in self._profiles.values()]}

    def clear(self) -> None:
        self._profiles.clear()


async def control_endpoint(request: Request) -> Response:
    """``GET /_sandbox/latency`` lists the profiles; ``POST`` sets one (median 0 removes it)."""
    from sandbox.registry import NETWORKS  # the registry imports every network: import late

    sandbox = request.app.state.sandbox
    if request.method == "POST":
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise LatencyError("body must be a JSON object")
            profile = parse_profile(body, tuple(NETWORKS))
        except (LatencyError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        with sandbox.lock:
            sandbox.latency.set(profile)
    with sandbox.lock:
        return JSONResponse(sandbox.latency.to_json())
