"""An idle worker: its CPU over a quiet minute and its memory, with 1M future targets scheduled.

Nothing is due, so every poll finds nothing; the figures say what waiting costs (the worker's CPU
and PostgreSQL's, which answers its polls) and that the schedule lives in the database, not in the
worker's memory. Reuses table_scaling's rows when that module ran just before.
"""

from __future__ import annotations

import time

import psutil

from bench import workload
from bench.burst import tree_cpu_seconds
from bench.harness import Session, stop_processes
from bench.table import Row, check

MEMORY_TARGET_MB = 200.0


def ensure_future_rows(session: Session, count: int) -> None:
    if session.context.get("future_rows", 0) >= count:
        return  # table_scaling left them in place
    env = session.environment()
    env.fresh_start()
    channel_ids = workload.make_channels(env.sandbox.control, env.sandbox.url, 1_000)
    workload.spread_into_future(workload.insert_targets(channel_ids, count))
    session.context["future_rows"] = count


def run(session: Session) -> list[Row]:
    env = session.environment()
    rows_wanted = 100_000 if session.quick else 1_000_000
    window = 10.0 if session.quick else 60.0
    ensure_future_rows(session, rows_wanted)
    present = session.context["future_rows"]
    [worker] = env.start_cuecast_workers(1)
    try:
        time.sleep(10)  # imports, first connections, first housekeeping
        assert env.postgres is not None  # the bench's own server
        groups = {"worker": [worker.pid], "postgres": [env.postgres.postmaster_pid]}
        before = {name: tree_cpu_seconds(pids) for name, pids in groups.items()}
        time.sleep(window)
        used = {name: tree_cpu_seconds(pids) - before[name] for name, pids in groups.items()}
        rss_mb = psutil.Process(worker.pid).memory_info().rss / 2**20
    finally:
        stop_processes([worker])
    per_minute = 60.0 / window
    return [
        Row(
            "idle",
            f"idle worker CPU ({present:,} future rows)",
            used["worker"] * per_minute,
            "CPU s/min",
            note=f"{used['worker'] / window:.1%} of one core; PostgreSQL answering its polls: "
            f"{used['postgres'] * per_minute:.1f} CPU s/min (measured over {window:.0f} s)",
        ),
        Row(
            "idle",
            f"worker memory, RSS ({present:,} future rows)",
            rss_mb,
            "MB",
            f"≤ {MEMORY_TARGET_MB:.0f} MB (target)",
            check(rss_mb, at_most=MEMORY_TARGET_MB),
        ),
    ]
