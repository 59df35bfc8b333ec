"""The worker loop: it publishes, keeps house, and stops when told."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.utils import timezone

from cuecast.accounts.services import create_api_key
from cuecast.api.models import IdempotentRequest
from cuecast.publishing import worker


def test_housekeeping_forgets_old_idempotency_answers_only(actor) -> None:
    key, _ = create_api_key(actor, name="k")
    old = IdempotentRequest.objects.create(
        api_key=key, key="old", request_hash="0" * 64, method="POST", path="/"
    )
    new = IdempotentRequest.objects.create(
        api_key=key, key="new", request_hash="0" * 64, method="POST", path="/"
    )
    IdempotentRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    worker.housekeeping()
    assert list(IdempotentRequest.objects.values_list("pk", flat=True)) == [new.pk]


def test_run_forever_polls_until_stopped(transactional_db, caplog) -> None:
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with caplog.at_level("INFO", logger="cuecast.worker"):
        worker.run_forever(stop, worker_id="w-test")
    assert [r.getMessage() for r in caplog.records] == [
        "worker w-test started",
        "worker w-test stopped",
    ]
