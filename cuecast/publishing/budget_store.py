"""The rate budgets' rows: created when first needed, locked for a batch, written back at once.

A batch touches up to a thousand budgets; it locks them with one ordered `SELECT ... FOR UPDATE`
(on SQLite the transaction holds the one write lock) and writes the changed ones with one UPDATE
statement run per row (Django's bulk_update builds a CASE per field and row, far slower here).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction

from cuecast.networks.base import LimitScope, RateLimit
from cuecast.publishing.models import RateBudget

# Rows this process has seen committed: rows are never deleted, so these need no INSERT again.
_known_keys: set[str] = set()

STATE_FIELDS = (
    "used",
    "window_end",
    "window_reported",
    "buckets",
    "live_limit",
    "blocked_until",
    "probe_until",
    "probed",
    "observed_at",
)
_WRITTEN_FIELDS = (*STATE_FIELDS, "updated_at")


@dataclass(frozen=True)
class Slot:
    """A budget a batch touches, before its row is locked."""

    key: str
    network: str
    rule: RateLimit
    channel_id: int | None


def budget_key(network: str, rule: RateLimit, channel_id: int | None) -> str:
    owner = "app" if rule.scope == LimitScope.APP else f"channel:{channel_id}"
    return f"{network}:{rule.name}:{owner}"


def slot(network: str, rule: RateLimit, channel_id: int | None) -> Slot:
    return Slot(budget_key(network, rule, channel_id), network, rule, channel_id)


def _new_row(slot: Slot) -> RateBudget:
    return RateBudget(
        key=slot.key,
        network=slot.network,
        name=slot.rule.name,
        scope=slot.rule.scope,
        channel_id=slot.channel_id if slot.rule.scope == LimitScope.ACCOUNT else None,
    )


def _select_locked(keys: Iterable[str]) -> dict[str, RateBudget]:
    # Ordered by key, so two workers lock shared rows in the same order and never deadlock.
    rows = RateBudget.objects.select_for_update().filter(key__in=list(keys)).order_by("key")
    return {row.key: row for row in rows}


def lock(slots: dict[str, Slot]) -> dict[str, RateBudget]:
    """The slots' rows, created when new, locked until the caller's transaction ends."""
    keys = sorted(slots)
    unseen = [_new_row(slots[k]) for k in keys if k not in _known_keys]
    if unseen:
        RateBudget.objects.bulk_create(unseen, ignore_conflicts=True)
    rows = _select_locked(keys)
    missing = [_new_row(slots[k]) for k in keys if k not in rows]
    if missing:  # this process's memory of existing rows was stale (a test database, a restore)
        RateBudget.objects.bulk_create(missing, ignore_conflicts=True)
        rows.update(_select_locked(row.key for row in missing))
    transaction.on_commit(lambda: _known_keys.update(keys))
    return rows


def state(row: RateBudget) -> tuple[Any, ...]:
    """What a batch may change in a row, to write only the rows it did change."""
    return (
        row.used,
        row.window_end,
        row.window_reported,
        tuple(row.buckets.items()),
        row.live_limit,
        row.blocked_until,
        row.probe_until,
        row.probed,
        row.observed_at,
    )


def _same(value: Any) -> Any:
    return value


def _update_statement() -> tuple[str, list[Callable[[Any], Any]]]:
    """One UPDATE for a row, and how each value is adapted for the database (through the
    connection itself, not Django's per-thread proxy: a batch adapts thousands of values)."""
    db = transaction.get_connection()
    meta = RateBudget._meta
    quote = db.ops.quote_name
    columns: list[str] = []
    adapters: list[Callable[[Any], Any]] = []
    for name in _WRITTEN_FIELDS:
        field = meta.get_field(name)
        assert isinstance(field, models.Field)
        columns.append(f"{quote(field.column or name)} = %s")
        if isinstance(field, models.DateTimeField):
            adapters.append(db.ops.adapt_datetimefield_value)
        elif isinstance(field, models.JSONField):
            adapters.append(functools.partial(field.get_db_prep_save, connection=db))
        else:
            adapters.append(_same)
    table, key = quote(meta.db_table), quote("key")
    sql = f"UPDATE {table} SET {', '.join(columns)} WHERE {key} = %s"  # noqa: S608 (model names)
    return sql, adapters


def save_changed(
    rows: dict[str, RateBudget], before: dict[str, tuple[Any, ...]], now: datetime
) -> None:
    """Write the rows whose state differs from `before`."""
    changed = [row for key, row in rows.items() if state(row) != before[key]]
    if not changed:
        return
    sql, adapters = _update_statement()
    params = []
    for row in changed:
        row.updated_at = now
        values = [getattr(row, name) for name in _WRITTEN_FIELDS]
        params.append([adapt(v) for adapt, v in zip(adapters, values, strict=True)] + [row.pk])
    with transaction.get_connection().cursor() as cursor:
        cursor.executemany(sql, params)
