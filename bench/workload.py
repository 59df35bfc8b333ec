"""The workload every system gets: Mastodon channels, targets due at one instant, and the figures.

Rows go in with one INSERT … SELECT FROM unnest() per chunk (a million targets in seconds, not the
minutes an ORM loop takes). Lateness is read from the sandbox, not from the system under test: each
received post carries its arrival time and its Idempotency-Key (the target's key plus ":0").

Django models are imported inside the functions: the harness configures Django only after its
PostgreSQL server is up.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import SandboxControl

CHUNK = 50_000
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
CHANNELS_PER_WORKSPACE = 100
OPEN_STATES = ("scheduled", "publishing", "unconfirmed")


@dataclass(frozen=True)
class Batch:
    """Targets inserted together: ids lo..hi (inclusive)."""

    lo: int
    hi: int

    @property
    def count(self) -> int:
        return self.hi - self.lo + 1


def make_channels(control: SandboxControl, sandbox_url: str, count: int) -> list[int]:
    """`count` Mastodon channels, each on its own sandbox account, 100 to a workspace (an agency's
    clients). The per-account rate limit is raised: the limit measured here is the system's, not
    the emulator's (bench/rate_limit.py measures limits)."""
    from cuecast.accounts.demo import _mastodon
    from cuecast.accounts.models import Workspace
    from cuecast.channels.models import Channel

    control.config("mastodon", rate_limit=10**9)
    accounts = [
        _mastodon(control.tokens("mastodon", username), sandbox_url)
        for username in sandbox_usernames(control, count)
    ]
    workspaces = Workspace.objects.bulk_create(
        Workspace(slug=f"bench-{i}", name=f"Bench client {i}")
        for i in range(math.ceil(count / CHANNELS_PER_WORKSPACE))
    )
    channels = [
        Channel(
            workspace=workspaces[i // CHANNELS_PER_WORKSPACE],
            network="mastodon",
            base_url=account.base_url,
            external_id=account.external_id,
            handle=account.handle,
            display_name=f"Bench channel {i}",
            credentials=account.credentials,
        )
        for i, account in enumerate(accounts)
    ]
    return [channel.pk for channel in Channel.objects.bulk_create(channels)]


def sandbox_usernames(control: SandboxControl, count: int) -> list[str]:
    """New Mastodon accounts on the sandbox (POST /_sandbox/mastodon/accounts)."""
    return [
        control.add_account("mastodon", username=f"bench_{i}")["username"] for i in range(count)
    ]


def insert_targets(channel_ids: list[int], count: int, due: datetime = FAR_FUTURE) -> Batch:
    """`count` scheduled targets, one post each, round-robin over the channels."""
    from cuecast.channels.models import Channel

    workspace_of = dict(
        Channel.objects.filter(pk__in=channel_ids).values_list("pk", "workspace_id")
    )
    first = last = 0
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        channels = [channel_ids[(start + i) % len(channel_ids)] for i in range(size)]
        lo, hi = _insert_chunk(channels, [workspace_of[c] for c in channels], due)
        first = first or lo
        last = hi
    return Batch(first, last)


def _insert_chunk(channels: list[int], workspaces: list[int], due: datetime) -> tuple[int, int]:
    from django.db import connection, transaction

    from cuecast.posts.models import Post, Target

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Post._meta.db_table, len(channels)],
        )
        post_ids = [row[0] for row in cursor.fetchall()]
        _insert(
            cursor,
            Post,
            per_row={"id": ("bigint", post_ids), "workspace_id": ("bigint", workspaces)},
            fixed={},
            sql={"text": "'Bench post ' || u.id"},
        )
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Target._meta.db_table, len(channels)],
        )
        target_ids = [row[0] for row in cursor.fetchall()]
        _insert(
            cursor,
            Target,
            per_row={
                "id": ("bigint", target_ids),
                "post_id": ("bigint", post_ids),
                "channel_id": ("bigint", channels),
            },
            fixed={"state": "scheduled", "due_at": due, "next_attempt_at": due},
            sql={"idempotency_key": "gen_random_uuid()"},
        )
    return target_ids[0], target_ids[-1]


def _insert(
    cursor: Any,
    model: Any,
    *,
    per_row: dict[str, tuple[str, list[int]]],
    fixed: dict[str, Any],
    sql: dict[str, str],
) -> None:
    """INSERT … SELECT FROM unnest(arrays): per-row columns come from arrays, the named fixed values
    and SQL expressions apply to every row, and every other column gets the model's default."""
    from django.db import connection
    from django.utils import timezone

    columns, selects, params = [], [], []
    now = timezone.now()
    for f in model._meta.concrete_fields:
        column = f.column
        columns.append(column)
        if column in per_row:
            selects.append(f"u.{column}")
        elif column in sql:
            selects.append(sql[column])
        else:
            if f.name in fixed:
                value = fixed[f.name]
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise ValueError(f"{model.__name__}.{f.name} needs a value in the bench insert")
            selects.append("%s")
            params.append(f.get_db_prep_save(value, connection))
    arrays = ", ".join(f"%s::{kind}[]" for kind, _ in per_row.values())
    params.extend(values for _, values in per_row.values())
    names = ", ".join(per_row)
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (model metadata, no user input)
        f"SELECT {', '.join(selects)} FROM unnest({arrays}) AS u({names})",
        params,
    )


def make_due(batch: Batch, due: datetime) -> None:
    """Move a batch to one instant: the burst's T."""
    from cuecast.posts.models import Target

    Target.objects.filter(pk__range=(batch.lo, batch.hi)).update(due_at=due, next_attempt_at=due)


def spread_into_future(batch: Batch, days: int = 30) -> None:
    """Give a batch of future targets realistic due times: from tomorrow over the next `days`."""
    from django.db import connection

    from cuecast.posts.models import Target

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Target._meta.db_table} SET due_at = now() + interval '1 day' "  # noqa: S608 (model metadata)
            "+ random() * %s * interval '1 day' WHERE id BETWEEN %s AND %s",
            [days, batch.lo, batch.hi],
        )
        cursor.execute(
            f"UPDATE {Target._meta.db_table} SET next_attempt_at = due_at "  # noqa: S608
            "WHERE id BETWEEN %s AND %s",
            [batch.lo, batch.hi],
        )
        cursor.execute(f"VACUUM ANALYZE {Target._meta.db_table}")  # as autovacuum would, soon


def open_count(batch: Batch) -> int:
    from cuecast.posts.models import Target

    return Target.objects.filter(pk__range=(batch.lo, batch.hi), state__in=OPEN_STATES).count()


def wait_until_settled(batch: Batch, timeout: float, poll: float = 0.5) -> bool:
    """True when no target of the batch is still open; False at the timeout."""
    deadline = time.monotonic() + timeout
    while open_count(batch):
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def batch_keys(batch: Batch) -> list[str]:
    """The Idempotency-Key each target's (single-part) post carries."""
    from cuecast.posts.models import Target

    keys = Target.objects.filter(pk__range=(batch.lo, batch.hi)).values_list(
        "idempotency_key", flat=True
    )
    return [f"{key}:0" for key in keys]


def state_counts(batch: Batch) -> dict[str, int]:
    from cuecast.posts.models import Target

    states = Target.objects.filter(pk__range=(batch.lo, batch.hi)).values_list("state", flat=True)
    return dict(Counter(states))


@dataclass
class BurstFigures:
    """What the sandbox saw of one burst."""

    count: int  # targets in the burst
    received: int  # distinct targets the sandbox received
    duplicates: int  # posts received more than once for one target
    throughput: float | None  # posts per second, first to last arrival
    drain_seconds: float | None  # T to the last arrival
    p50: float | None  # lateness, seconds
    p99: float | None
    max: float | None

    @property
    def exactly_once(self) -> bool:
        return self.received == self.count and self.duplicates == 0


def received_times(control: SandboxControl) -> dict[str, list[float]]:
    """Arrival times (epoch seconds) per Idempotency-Key of every post the Mastodon emulator got."""
    times: dict[str, list[float]] = {}
    for post in control.received("mastodon"):
        key = post.get("idempotency_key")
        if key:
            at = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")).timestamp()
            times.setdefault(key, []).append(at)
    return times


def burst_figures(keys: list[str], due: datetime, times: dict[str, list[float]]) -> BurstFigures:
    arrivals = sorted(min(times[key]) for key in keys if key in times)
    duplicates = sum(len(times[key]) - 1 for key in keys if key in times)
    t0 = due.timestamp()
    lateness = [max(0.0, at - t0) for at in arrivals]
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    return BurstFigures(
        count=len(keys),
        received=len(arrivals),
        duplicates=duplicates,
        throughput=len(arrivals) / span if span > 0 else None,
        drain_seconds=arrivals[-1] - t0 if arrivals else None,
        p50=percentile(lateness, 50),
        p99=percentile(lateness, 99),
        max=lateness[-1] if lateness else None,
    )


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def due_in(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))
