"""Rate budgets shared by all workers: send only what the network will accept (ADR 0006).

Each network's descriptor lists its published limits and caps (`RateLimit`, per access tier). A
budget is one limit for Cuecast's app at the network (shared by every workspace) or for one
connected account; its row (`RateBudget`) is the count every worker process on every machine
shares. Before a batch makes its calls, `admit` reserves the batch's cost in every budget it
touches - one locked read and one write for the whole batch - and answers per unit of work: go
now, wait (a rate window is full), or hold (a daily or monthly cap is used up, with the time it
reopens and a sentence for the marketer). After the calls, `observe` reads the networks' own
headers and refusals and corrects the budgets: the network's figures win over the documented ones.

A budget the network reports in its headers starts with one probe: the first unit of work goes
alone and the others wait for its answer, so a limit lower than documented (a sandbox set to 5, a
tier nobody recorded) is learned before anything is refused. Window semantics: budget_windows.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from cuecast import http
from cuecast.networks import registry
from cuecast.networks.base import (
    LimitKind,
    LimitObservation,
    LimitScope,
    LimitUnit,
    Network,
    RateLimit,
)
from cuecast.publishing import budget_store as store
from cuecast.publishing import budget_windows as windows
from cuecast.publishing.budget_reasons import held_reason, refused_reason
from cuecast.publishing.budget_windows import PROBE_TIMEOUT, UNKNOWN_RESET_WAIT
from cuecast.publishing.models import RateBudget

__all__ = [
    "PROBE_TIMEOUT",
    "UNKNOWN_RESET_WAIT",
    "Admission",
    "BudgetRequest",
    "BudgetUsage",
    "admit",
    "observe",
    "rules_for",
    "usage",
]


@dataclass(frozen=True)
class BudgetRequest:
    key: int  # the caller's id for this unit of work (a target id, a metric poll id)
    network: str
    channel_id: int
    tier: str = ""  # the channel's access tier when the network has tiers
    purpose: str = "publish"  # publish | reconcile | metrics: which limits apply, what it costs
    parts: int = 1  # posts a publish sends (a thread's parts)
    at: datetime | None = None  # when the call will be made, if later than the admission


@dataclass
class Admission:
    granted: list[int] = field(default_factory=list)  # may call now (their budget is reserved)
    waiting: dict[int, datetime] = field(default_factory=dict)  # a rate window is full: try then
    held: dict[int, tuple[datetime, str]] = field(default_factory=dict)  # a cap: reopens, reason


@dataclass(frozen=True)
class BudgetUsage:
    """One budget as the metrics endpoint shows it."""

    network: str
    scope: str
    name: str
    channel_id: int | None
    limit: int
    used: int
    window_end: datetime | None


# --- which limits apply -----------------------------------------------------------------------
def _descriptor_limits(network: str) -> tuple[RateLimit, ...]:
    try:
        return registry.get(network).descriptor.rate_limits
    except registry.UnknownNetwork:
        return ()


def rules_for(network: str, tier: str, purpose: str) -> tuple[RateLimit, ...]:
    """The limits one unit of work counts against: one per budget name (the first entry that
    applies to the tier and purpose)."""
    chosen: dict[str, RateLimit] = {}
    for rule in _descriptor_limits(network):
        if rule.name not in chosen and rule.applies(tier, purpose):
            chosen[rule.name] = rule
    return tuple(chosen.values())


# --- admission --------------------------------------------------------------------------------
def _judge(
    request: BudgetRequest,
    rules: Sequence[RateLimit],
    rows: dict[str, RateBudget],
    now: datetime,
    admission: Admission,
) -> None:
    """Grant a unit of work all its budgets, or none: wait for a rate window, hold for a cap."""
    slots = [
        (
            rule,
            rows[store.budget_key(request.network, rule, request.channel_id)],
            rule.units(request.parts),
        )
        for rule in rules
    ]
    refusals: list[windows.Refusal] = []
    for rule, row, units in slots:
        windows.roll(row, rule, now)
        refusal = windows.refusal(row, rule, units, now, request.at)
        if refusal is not None:
            refusals.append(refusal)
    if not refusals:
        for rule, row, units in slots:
            windows.spend(row, rule, units, now, request.at)
        admission.granted.append(request.key)
        return
    reopens = max(r.until for r in refusals)
    caps = [r for r in refusals if r.holds]
    if not caps:
        admission.waiting[request.key] = reopens
        return
    cap = max(caps, key=lambda r: r.until)
    name = registry.get(request.network).descriptor.name
    if cap.blocked and cap.row.live_limit is None:
        reason = refused_reason(name, cap.rule, reopens, now)
    else:
        figure = windows.figure(cap.row, cap.rule)
        reason = held_reason(name, cap.rule, figure, request.tier, reopens, now)
    admission.held[request.key] = (reopens, reason)


def admit(requests: Sequence[BudgetRequest], now: datetime) -> Admission:
    """Reserve budget for each unit of work, in the order given; atomic across processes."""
    admission = Admission()
    plan: list[tuple[BudgetRequest, tuple[RateLimit, ...]]] = []
    slots: dict[str, store.Slot] = {}
    rules_cache: dict[tuple[str, str, str], tuple[RateLimit, ...]] = {}
    for request in requests:
        which = (request.network, request.tier, request.purpose)
        if which not in rules_cache:
            rules_cache[which] = rules_for(*which)
        rules = rules_cache[which]
        if not rules:
            admission.granted.append(request.key)
            continue
        plan.append((request, rules))
        for rule in rules:
            slot = store.slot(request.network, rule, request.channel_id)
            slots.setdefault(slot.key, slot)
    if not plan:
        return admission
    with transaction.atomic():
        rows = store.lock(slots)
        before = {key: store.state(row) for key, row in rows.items()}
        for request, rules in plan:
            _judge(request, rules, rows, now, admission)
        store.save_changed(rows, before, now)
    return admission


# --- observation ------------------------------------------------------------------------------
@dataclass
class _Seen:
    """What a batch of answers said about one budget."""

    slot: store.Slot
    observations: list[LimitObservation] = field(default_factory=list)
    call_starts: list[datetime] = field(default_factory=list)  # when each observed call began
    probe_answered: bool = False
    blocked_until: datetime | None = None
    given_back: list[datetime] = field(default_factory=list)  # reservations the network never used


@dataclass(frozen=True)
class _NetworkLimits:
    """One network's limits, indexed for reading a batch of answers."""

    network: Network
    by_name: dict[str, RateLimit]

    @classmethod
    def of(cls, key: str) -> _NetworkLimits | None:
        try:
            network = registry.get(key)
        except registry.UnknownNetwork:
            return None
        by_name: dict[str, RateLimit] = {}
        for rule in network.descriptor.rate_limits:
            by_name.setdefault(rule.name, rule)
        return cls(network, by_name)

    def reported(self, purpose: str) -> list[RateLimit]:
        """Budgets that probe for this work: any answer ends their probe."""
        return [r for r in self.by_name.values() if r.reported and purpose in r.purposes]

    def paused_by_429(self, purpose: str) -> list[RateLimit]:
        """The account's rate budgets for this work, which a 429 no header explains pauses."""
        return [
            r
            for r in self.by_name.values()
            if r.scope == LimitScope.ACCOUNT
            and r.kind == LimitKind.RATE
            and r.unit != LimitUnit.PERCENT
            and purpose in r.purposes
        ]


def _retry_after(call: http.CallRecord, now: datetime) -> datetime:
    value = call.limit_headers.get("retry-after", "").strip()
    return now + (timedelta(seconds=int(value)) if value.isdigit() else UNKNOWN_RESET_WAIT)


def _may_have_counted(scope: http.CallScope, pattern: str) -> bool:
    """Whether one of the calls the network counts may have been carried out: answered 2xx or
    5xx (a server error may come after the work was done), or not answered at all."""
    counted = re.compile(pattern)
    return any(
        counted.search(f"{call.method.upper()} {call.path}")
        and (call.status == 0 or 200 <= call.status < 300 or call.status >= 500)
        for call in scope.calls
    )


def _give_back_unused(
    scope: http.CallScope, limits: _NetworkLimits, seen: dict[str, _Seen]
) -> None:
    """Reservations for work the network never counted (refused before its counted call) are
    returned, to the sub-window of the work's first call (the reservation's, or just after)."""
    at = min((call.started_at for call in scope.calls), default=None)
    for rule in limits.by_name.values():
        if not rule.counted_calls or scope.purpose not in rule.purposes:
            continue
        if _may_have_counted(scope, rule.counted_calls):
            continue
        entry = _seen_for(seen, rule, scope)
        if entry is not None and at is not None:
            entry.given_back.append(at)


def _seen_for(seen: dict[str, _Seen], rule: RateLimit, scope: http.CallScope) -> _Seen | None:
    if rule.scope == LimitScope.ACCOUNT and scope.channel_id is None:
        return None
    slot = store.slot(scope.network, rule, scope.channel_id)
    if slot.key not in seen:
        seen[slot.key] = _Seen(slot)
    return seen[slot.key]


def _collect(
    scope: http.CallScope, limits: _NetworkLimits, now: datetime, seen: dict[str, _Seen]
) -> None:
    for call in scope.calls:
        observations = limits.network.read_limits(call)
        for observation in observations:
            rule = limits.by_name.get(observation.name)
            entry = _seen_for(seen, rule, scope) if rule else None
            if entry is not None:
                entry.observations.append(observation)
                entry.call_starts.append(call.started_at)
        if call.status == 429 and not any(o.refused for o in observations):
            until = _retry_after(call, now)
            for rule in limits.paused_by_429(scope.purpose):
                entry = _seen_for(seen, rule, scope)
                if entry is not None:
                    entry.blocked_until = max(until, entry.blocked_until or until)
    _give_back_unused(scope, limits, seen)
    if any(call.status for call in scope.calls):
        for rule in limits.reported(scope.purpose):
            entry = _seen_for(seen, rule, scope)
            if entry is not None:
                entry.probe_answered = True


def _apply(row: RateBudget, entry: _Seen, now: datetime) -> None:
    rule = entry.slot.rule
    windows.roll(row, rule, now)
    if entry.probe_answered:
        row.probed, row.probe_until = True, None
    if rule.unit != LimitUnit.PERCENT:
        for observation, call_at in zip(entry.observations, entry.call_starts, strict=True):
            windows.learn_period(row, rule, observation, call_at)
    for observation in sorted(entry.observations, key=windows.answer_order):
        if rule.unit == LimitUnit.PERCENT:
            windows.observe_percent(row, rule, observation, now)
        else:
            windows.observe_count(row, rule, observation, now)
    if entry.blocked_until is not None:
        windows.block(row, entry.blocked_until)
    for at in entry.given_back:
        windows.give_back(row, rule, rule.units(1), at)


def observe(scopes: Sequence[http.CallScope], now: datetime) -> None:
    """Correct the budgets with what the calls' answers said: live figures, resets, refusals."""
    seen: dict[str, _Seen] = {}
    networks: dict[str, _NetworkLimits | None] = {}
    for scope in scopes:
        if scope.network not in networks:
            networks[scope.network] = _NetworkLimits.of(scope.network)
        limits = networks[scope.network]
        if limits is not None:
            _collect(scope, limits, now, seen)
    if not seen:
        return
    with transaction.atomic():
        rows = store.lock({key: entry.slot for key, entry in seen.items()})
        before = {key: store.state(row) for key, row in rows.items()}
        for key, entry in seen.items():
            _apply(rows[key], entry, now)
        store.save_changed(rows, before, now)


# --- for the metrics endpoint -----------------------------------------------------------------
def usage(now: datetime) -> list[BudgetUsage]:
    """Every budget's count at `now` (an operator's view: budgets span workspaces)."""
    result = []
    for row in RateBudget.objects.order_by("key"):
        rule = next((r for r in _descriptor_limits(row.network) if r.name == row.name), None)
        if rule is None:
            continue
        windows.roll(row, rule, now)
        result.append(
            BudgetUsage(
                network=row.network,
                scope=row.scope,
                name=row.name,
                channel_id=row.channel_id,
                limit=windows.figure(row, rule),
                used=windows.used(row, rule),
                window_end=windows.window_end(row, rule),
            )
        )
    return result
