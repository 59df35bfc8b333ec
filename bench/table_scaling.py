"""Does a big schedule slow the dispatcher? The same burst with 10k, 100k and 1M future rows present.

The future rows are scheduled targets due over the next 30 days (not due now); the burst is due at
one instant. The claim query reads an index on (state, next_attempt_at), so throughput should stay
flat; the table compares each level with the smallest, by throughput and by the CPU the workers and
PostgreSQL spend per publish (which shows a slower claim even when other load moves the rate).
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
FLAT = 0.8  # flat: throughput at least 80 % of the smallest level's, CPU cost at most 125 %


def level_rows(
    level: int, burst_size: int, workers: int, result: BurstResult, first: BurstResult | None
) -> list[Row]:
    """Throughput (the figure asked for; it swings with the machine's load) and the workers' and
    PostgreSQL's CPU per 1,000 publishes (what a slower claim would raise; steady under load)."""
    f = result.figures
    cost = result.cpu.per_thousand(f.received)
    spent = cost.get("workers", 0.0) + cost.get("PostgreSQL", 0.0)
    label = f"{level:,} future rows"
    base = None if first is None else first.figures.throughput
    ratio = (f.throughput or 0) / base if base else None
    first_cost = None
    if first is not None:
        first_costs = first.cpu.per_thousand(first.figures.received)
        first_cost = first_costs.get("workers", 0.0) + first_costs.get("PostgreSQL", 0.0)
    growth = spent / first_cost if first_cost else None
    versus = "the smallest level's figure"
    return [
        Row(
            "scaling",
            f"{label}: throughput ({burst_size:,} due, K={workers})",
            f.throughput,
            "/s",
            "" if first is None else f"≥ {FLAT:.0%} of {versus}",
            "" if first is None else check(ratio, at_least=FLAT),
            note=f"p99 lateness {f.p99 or 0:.2f} s; {f.received:,}/{f.count:,} published, "
            f"{f.duplicates} duplicates; {result.cpu.describe()}",
            extra={"figures": f.__dict__, "cpu": result.cpu.__dict__},
        ),
        Row(
            "scaling",
            f"{label}: workers + PostgreSQL CPU per 1,000 publishes",
            spent,
            "CPU s",
            "" if first is None else f"≤ {1 / FLAT:.0%} of {versus}",
            "" if first is None else check(growth, at_most=1 / FLAT),
            note=f"workers {cost.get('workers', 0):.2f} s, PostgreSQL {cost.get('PostgreSQL', 0):.2f} s",
        ),
    ]


def run(session: Session) -> list[Row]:
    env = session.environment()
    levels = QUICK_LEVELS if session.quick else FULL_LEVELS
    burst_size = 1_000 if session.quick else 10_000
    workers = int(session.context.get("cuecast", {}).get("workers") or 2)
    env.fresh_start()
    channel_ids = workload.make_channels(env.sandbox.control, env.sandbox.url, CHANNELS)
    rows: list[Row] = []
    present = 0
    first: BurstResult | None = None
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
        rows += level_rows(level, burst_size, workers, result, first)
        first = first or result
    session.context["future_rows"] = present
    return rows
