"""Injected misbehaviour: faults that apply to upcoming matching requests."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = (
    "error_5xx",
    "timeout_after_accept",
    "rate_limit_burst",
    "expire_token",
    "revoke_token",
    "tier",
    "slow",
)
TIERS = ("unenrolled", "v1_subset", "usage_capped")


class FaultError(ValueError):
    """A fault request that cannot be honoured (bad kind, unknown network...)."""


@dataclass
class Fault:
    id: int
    network: str
    kind: str
    endpoint: str | None = None  # "POST /2/tweets" or "DELETE /2/tweets/{id}"; None = all
    count: int = 1
    status: int = 503
    seconds: float = 30.0
    tier: str | None = None
    user: str | None = None  # username (or user id) the fault is limited to
    applied: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _normalize_endpoint(endpoint: str, prefix: str) -> tuple[str, str]:
    method, _, path = endpoint.strip().partition(" ")
    path = path.strip() or "/"
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    return method.upper(), path.rstrip("/") or "/"


def endpoint_matches(endpoint: str, prefix: str, method: str, template: str, path: str) -> bool:
    want_method, want_path = _normalize_endpoint(endpoint, prefix)
    if want_method not in (method.upper(), "*"):
        return False
    return want_path in (template.rstrip("/") or "/", path.rstrip("/") or "/")


class FaultStore:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any], networks: tuple[str, ...]) -> Fault:
        network = spec.get("network")
        kind = spec.get("kind")
        if network not in networks:
            raise FaultError(f"network must be one of {', '.join(networks)}")
        if kind not in FAULT_KINDS:
            raise FaultError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        tier = spec.get("tier")
        if kind == "tier" and tier not in TIERS:
            raise FaultError(f"tier must be one of {', '.join(TIERS)}")
        try:
            count = int(spec.get("count", 1))
            status = int(spec.get("status", 503))
            seconds = float(spec.get("seconds", 30))
        except (TypeError, ValueError) as exc:
            raise FaultError("count, status and seconds must be numbers") from exc
        if count < 1:
            raise FaultError("count must be at least 1")
        if kind == "error_5xx" and not 500 <= status <= 599:
            raise FaultError("status must be a 5xx code")
        user = spec.get("user")
        fault = Fault(
            id=next(self._ids),
            network=str(network),
            kind=str(kind),
            endpoint=spec.get("endpoint") or None,
            count=count,
            status=status,
            seconds=seconds,
            tier=tier,
            user=str(user).lstrip("@") if user else None,
        )
        self._faults.append(fault)
        return fault

    def take(
        self,
        network: str,
        prefix: str,
        method: str,
        template: str,
        path: str,
        user_keys: tuple[str, ...],
    ) -> Fault | None:
        """Consume one use of the oldest fault matching this request, if any."""
        for fault in self._faults:
            if fault.network != network:
                continue
            if fault.endpoint and not endpoint_matches(
                fault.endpoint, prefix, method, template, path
            ):
                continue
            if fault.user and fault.user not in user_keys:
                continue
            fault.count -= 1
            fault.applied += 1
            if fault.count <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> int:
        cleared = len(self._faults)
        self._faults.clear()
        return cleared
