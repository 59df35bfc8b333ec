"""What both baselines share: the burst size, the comparison with Cuecast, the rows."""

from __future__ import annotations

from dataclasses import dataclass

from bench import workload
from bench.burst import (
    LATE_START,
    Announce,
    BurstResult,
    StartWorkers,
    cost_row,
    run_burst,
)
from bench.harness import Environment, Session
from bench.table import Row, check

CHANNELS = 1_000


@dataclass(frozen=True)
class Baseline:
    key: str  # the table's section
    name: str  # "Celery 5 + Redis (ETA, prefork)"
    speedup_target: float  # Cuecast must be at least this many times faster
    enqueue_seconds: float  # a generous guess of the time to announce one target, for T's lead
    full_burst: int  # the burst it gets in a full run (smaller than Cuecast's when it is slow)
    quick_burst: int


def run_baseline(
    session: Session,
    baseline: Baseline,
    start_workers: StartWorkers,
    announce: Announce,
    ready_ports: set[int] | None = None,
) -> tuple[list[Row], BurstResult]:
    env: Environment = session.environment()
    env.fresh_start()
    channel_ids = workload.make_channels(env.sandbox.control, env.sandbox.url, CHANNELS)
    count = baseline.quick_burst if session.quick else baseline.full_burst
    batch = workload.insert_targets(channel_ids, count)
    result = run_burst(
        env,
        batch,
        start_workers=start_workers,
        announce=announce,
        lead_seconds=5.0 + count * baseline.enqueue_seconds,
        timeout=max(300.0, count / 2),
        ready_ports=ready_ports,
    )
    return rows_for(session, baseline, result), result


def rows_for(session: Session, baseline: Baseline, result: BurstResult) -> list[Row]:
    f = result.figures
    cuecast = session.context.get("cuecast", {})
    size_note = f"{f.count:,} targets"
    if cuecast.get("burst") and cuecast["burst"] != f.count:
        size_note += f" (Cuecast's: {cuecast['burst']:,}; only throughput compares across sizes)"
    note = (
        f"{size_note}; {f.received:,} published, {f.duplicates} duplicates; "
        f"announce took {result.announce_seconds:.1f} s"
        f"{'' if result.announced_in_time else LATE_START}; "
        f"{result.cpu.describe()}"
    )
    extra = {"figures": f.__dict__, "cpu": result.cpu.__dict__, "states": result.states}
    rows = [
        Row(
            baseline.key, f"{baseline.name}: throughput", f.throughput, "/s", note=note, extra=extra
        ),
        Row(baseline.key, f"{baseline.name}: lateness p50", f.p50, "s"),
        Row(baseline.key, f"{baseline.name}: lateness p99", f.p99, "s"),
        cost_row(baseline.key, baseline.name, result),
    ]
    ours = cuecast.get("throughput")
    ratio = ours / f.throughput if ours and f.throughput else None
    rows.append(
        Row(
            baseline.key,
            f"Cuecast ÷ {baseline.name} throughput",
            ratio,
            "x",
            f"≥ {baseline.speedup_target:.0f}x (target)",
            check(ratio, at_least=baseline.speedup_target),
            note=f"Cuecast {ours:,.0f}/s (K={cuecast.get('workers')}) in this run"
            if ours
            else "Cuecast's burst did not run",
        )
    )
    return rows
