"""Cuecast's burst: N targets due at one instant over 1,000 channels, K `cuecast worker` processes.

The schedule is the target rows themselves (decision 1): announcing the burst is one UPDATE of
their due time. Lateness is the sandbox's arrival time minus T; throughput is N over the time from
the first to the last arrival.

The 10,000-target burst answers "p99 lateness at most 1 s" and is run with K = 2, 3, 4 workers; the
large burst (100,000) runs with the best K and gives the throughput the baselines are compared with.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from bench import workload
from bench.burst import LATE_START, BurstResult, cost_row, run_burst
from bench.harness import Environment, Session
from bench.table import Row, check

CHANNELS = 1_000
TARGET_THROUGHPUT = 1_000.0  # publishes per second, end to end, on 2 cores
TARGET_P99 = 1.0  # seconds, for a 10,000-target same-second burst
LEAD_SECONDS = 3.0


@dataclass(frozen=True)
class Sizes:
    lateness_burst: int
    throughput_burst: int
    worker_counts: tuple[int, ...]


FULL = Sizes(10_000, 100_000, (2, 3, 4))
QUICK = Sizes(1_000, 3_000, (2, 4))


def worker_settings() -> dict[str, str]:
    """The `cuecast worker` settings the bench runs with: the shipped defaults."""
    return {}


def cuecast_burst(
    env: Environment, channel_ids: list[int], count: int, workers: int
) -> BurstResult:
    batch = workload.insert_targets(channel_ids, count)

    def start() -> list[subprocess.Popen[bytes]]:
        return env.start_cuecast_workers(workers, **worker_settings())

    return run_burst(
        env,
        batch,
        start_workers=start,
        announce=workload.make_due,
        lead_seconds=LEAD_SECONDS,
        timeout=max(120.0, count / 20),
    )


def burst_rows(label: str, result: BurstResult, *, lateness_target: bool) -> list[Row]:
    f = result.figures
    extra = {"figures": f.__dict__, "cpu": result.cpu.__dict__, "states": result.states}
    note = (
        f"{f.received:,}/{f.count:,} published, {f.duplicates} duplicates; {result.cpu.describe()}"
    )
    if not result.announced_in_time:
        note += LATE_START
    p99_row = Row(
        "cuecast",
        f"{label}: lateness p99",
        f.p99,
        "s",
        "≤ 1 s (target)" if lateness_target else "",
        check(f.p99, at_most=TARGET_P99) if lateness_target else "",
        extra=extra,
    )
    return [
        Row("cuecast", f"{label}: throughput", f.throughput, "/s", note=note),
        Row("cuecast", f"{label}: lateness p50", f.p50, "s"),
        p99_row,
    ]


def exactly_once_row(results: list[BurstResult]) -> Row:
    ok = all(r.figures.exactly_once and r.settled for r in results)
    duplicates = sum(r.figures.duplicates for r in results)
    missing = sum(r.figures.count - r.figures.received for r in results)
    return Row(
        "cuecast",
        "every target published exactly once (all bursts)",
        float(duplicates + missing),
        "wrong",
        "0 duplicates, 0 missing",
        "met" if ok else "MISSED",
        note=f"{duplicates} duplicates, {missing} missing",
    )


def run(session: Session) -> list[Row]:
    env = session.environment()
    sizes = QUICK if session.quick else FULL
    env.fresh_start()
    channel_ids = workload.make_channels(env.sandbox.control, env.sandbox.url, CHANNELS)
    rows: list[Row] = []
    results: list[BurstResult] = []
    best_k, best_throughput = sizes.worker_counts[-1], 0.0
    for k in sizes.worker_counts:
        result = cuecast_burst(env, channel_ids, sizes.lateness_burst, k)
        results.append(result)
        label = f"{sizes.lateness_burst:,} due at once, K={k}"
        rows += burst_rows(label, result, lateness_target=True)
        if (result.figures.throughput or 0) > best_throughput:
            best_k, best_throughput = k, result.figures.throughput or 0.0
    big = cuecast_burst(env, channel_ids, sizes.throughput_burst, best_k)
    results.append(big)
    label = f"{sizes.throughput_burst:,} due at once, K={best_k}"
    big_rows = burst_rows(label, big, lateness_target=False)
    big_rows[0].compared_with = f"≥ {TARGET_THROUGHPUT:,.0f}/s (target)"
    big_rows[0].verdict = check(big.figures.throughput, at_least=TARGET_THROUGHPUT)
    rows += big_rows
    rows.append(cost_row("cuecast", label, big))
    rows.append(exactly_once_row(results))
    session.context["cuecast"] = {
        "workers": best_k,
        "throughput": big.figures.throughput,
        "burst": sizes.throughput_burst,
        "lateness_p99": big.figures.p99,
    }
    return rows
