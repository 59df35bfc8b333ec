"""Does a big schedule slow the dispatcher? The same burst with 10k, 100k and 1M future rows present.

The future rows are scheduled targets due over the next 30 days (not due now); the burst is due at
one instant. The claim query reads an index on (state, next_attempt_at), so throughput should stay
flat; the table compares each level with the smallest.
"""

from __future__ import annotations

import subprocess

from bench import workload
from bench.burst import BurstResult, run_burst
from bench.harness import Session
from bench.table import Row, check

CHANNELS = 1_000
FULL_LEVELS = (10_000, 100_000, 1_000_000)
QUICK_LEVELS = (10_000, 100_000)
FLAT = 0.8  # a level within 20 % of the smallest level's throughput counts as flat


def cost_note(result: BurstResult) -> str:
    """Worker and PostgreSQL CPU per 1,000 publishes: a slower claim would show here first, and
    unlike throughput it barely moves when other processes share the machine."""
    cost = result.cpu.per_thousand(result.figures.received)
    return f"workers {cost.get('workers', 0):.2f} s, PostgreSQL {cost.get('PostgreSQL', 0):.2f} s"


def run(session: Session) -> list[Row]:
    env = session.environment()
    levels = QUICK_LEVELS if session.quick else FULL_LEVELS
    burst_size = 1_000 if session.quick else 10_000
    workers = int(session.context.get("cuecast", {}).get("workers") or 2)
    env.fresh_start()
    channel_ids = workload.make_channels(env.sandbox.control, env.sandbox.url, CHANNELS)
    rows: list[Row] = []
    present = 0
    first: float | None = None
    for level in levels:
        future = workload.insert_targets(channel_ids, level - present)
        workload.spread_into_future(future)
        present = level
        batch = workload.insert_targets(channel_ids, burst_size)

        def start() -> list[subprocess.Popen[bytes]]:
            return env.start_cuecast_workers(workers)

        result = run_burst(
            env,
            batch,
            start_workers=start,
            announce=workload.make_due,
            lead_seconds=3.0,
            timeout=max(120.0, burst_size / 20),
        )
        f = result.figures
        first = first if first is not None else f.throughput
        ratio = (f.throughput or 0) / first if first else None
        rows.append(
            Row(
                "scaling",
                f"{level:,} future rows: throughput ({burst_size:,} due, K={workers})",
                f.throughput,
                "/s",
                "" if level == levels[0] else f"≥ {FLAT:.0%} of the {levels[0]:,} figure",
                "" if level == levels[0] else check(ratio, at_least=FLAT),
                note=f"p99 lateness {f.p99 or 0:.2f} s; {f.received:,}/{f.count:,} published, "
                f"{f.duplicates} duplicates; CPU per 1,000 publishes: {cost_note(result)}; "
                f"{result.cpu.describe()}",
                extra={"figures": f.__dict__, "cpu": result.cpu.__dict__},
            )
        )
    session.context["future_rows"] = present
    return rows
