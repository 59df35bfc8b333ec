"""Baseline: django-tasks with the django-tasks-db backend, one task per target with run_after=T.

`db_worker` processes (as many as Cuecast's best run used) with persistent database connections
(CONN_MAX_AGE), as its docs suggest for long-running workers; otherwise the defaults (one task at a
time per process, a 1 s poll when idle). Each task does the same publish call and database record
as Cuecast (bench/publish_call.py). Like Celery, it gets a smaller burst than Cuecast's 100,000.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

from bench.baselines import Baseline, run_baseline
from bench.harness import Environment, Session
from bench.table import Row
from bench.workload import Batch

DJANGO_TASKS = Baseline(
    key="django-tasks-db",
    name="django-tasks-db (run_after, db_worker)",
    enqueue_seconds=0.005,
    speedup_target=5.0,
    full_burst=2_000,
    quick_burst=150,
)
DEFAULT_WORKERS = 4


def run(session: Session) -> list[Row]:
    env = session.environment()
    workers = int(session.context.get("cuecast", {}).get("workers") or DEFAULT_WORKERS)

    def start_workers() -> list[subprocess.Popen[bytes]]:
        return [start_db_worker(env, i) for i in range(workers)]

    rows, _ = run_baseline(session, DJANGO_TASKS, start_workers, enqueue_tasks)
    rows[0].note += f"; {workers} db_worker processes"
    return rows


def start_db_worker(env: Environment, index: int) -> subprocess.Popen[bytes]:
    environ = {**env.base_env(), "BENCH_CONN_MAX_AGE": "600"}
    command = [sys.executable, "-m", "django", "db_worker", "--verbosity", "0"]
    return env.spawn(f"db-worker-{index}", command, environ)


def enqueue_tasks(batch: Batch, due: datetime) -> None:
    from django.db import transaction

    from bench.django_tasks_app import publish_target

    deferred = publish_target.using(run_after=due)
    with transaction.atomic():  # one commit for the burst, as a bulk import would do it
        for target_id in range(batch.lo, batch.hi + 1):
            deferred.enqueue(target_id)
