"""The Celery baseline's app: `celery -A bench.celery_app worker`, Redis as the broker.

Configured as Celery's documentation recommends for tasks that must not be lost: late acks with
rejection on a lost worker, a prefetch multiplier of 1 (long-running tasks), results ignored (none
are read), and a visibility timeout longer than any ETA used here (Redis caveats: an ETA beyond it
is delivered twice). The pool is the default prefork with concurrency = the number of cores.
Django is set up by Celery's Django fixup (DJANGO_SETTINGS_MODULE=bench.settings).
"""

from __future__ import annotations

import os

from celery import Celery

from bench.publish_call import publish_and_record

app = Celery("bench", broker=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": 3600},
    worker_hijack_root_logger=False,
    timezone="UTC",
    enable_utc=True,
)


@app.task(name="bench.publish_target")
def publish_target(target_id: int) -> dict[str, object]:
    return publish_and_record(target_id)
