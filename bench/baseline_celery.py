"""Baseline: Celery 5 with a Redis broker, one ETA task per target (`apply_async(eta=T)`).

One `celery worker` with the default prefork pool (concurrency = cores), configured as Celery's
docs recommend for reliability (bench/celery_app.py). Every task does the same publish call and
database record as Cuecast (bench/publish_call.py). At 1 task per process at a time and ~150 ms per
call, the full 100,000 would take hours: it gets a smaller burst, and only its throughput is set
against Cuecast's.
"""

from __future__ import annotations

# The bench runs the machine's own programs (redis-server, python) with arguments it builds itself.
# ruff: noqa: S603
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench.baselines import Baseline, run_baseline
from bench.harness import Environment, Session, free_port, stop_processes
from bench.table import Row
from bench.workload import Batch

CELERY = Baseline(
    key="celery",
    name="Celery + Redis (ETA, prefork)",
    enqueue_seconds=0.01,
    speedup_target=2.0,
    full_burst=2_000,
    quick_burst=150,
)


def start_redis(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A throwaway redis-server with its defaults (scripts/bench-deps.sh installs it)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing: run `make bench` (scripts/bench-deps.sh)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root)],
        stdout=(root / "redis.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 15
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.1)


def run(session: Session) -> list[Row]:
    env = session.environment()
    redis_process, url = start_redis(env.root)
    os.environ["BENCH_REDIS_URL"] = url  # read by bench.celery_app, here and in the worker
    try:

        def start_workers() -> list[subprocess.Popen[bytes]]:
            return [start_celery_worker(env, url)]

        broker_port = int(url.rsplit(":", 1)[1].split("/")[0])
        rows, _ = run_baseline(
            session, CELERY, start_workers, announce_eta_tasks, ready_ports={broker_port}
        )
    finally:
        stop_processes([redis_process])
    return rows


def start_celery_worker(env: Environment, url: str) -> subprocess.Popen[bytes]:
    environ = {**env.base_env(), "BENCH_REDIS_URL": url, "BENCH_CONN_MAX_AGE": "600"}
    command = [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker", "-l", "WARNING"]
    return env.spawn("celery-worker", command, environ)


def announce_eta_tasks(batch: Batch, due: datetime) -> None:
    from bench.celery_app import publish_target

    for target_id in range(batch.lo, batch.hi + 1):
        publish_target.apply_async((target_id,), eta=due)
