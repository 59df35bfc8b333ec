"""How an idle worker waits: until the next due time, or until PostgreSQL says something is due.

On PostgreSQL a trigger on the targets table sends `NOTIFY cuecast_due` when a target becomes
scheduled and due soon (a post created for "now", a release, a retry); idle workers LISTEN on a
connection of their own and wake at once. Without a notification they sleep until the earliest
due time they know of, at most `max_sleep`. SQLite has no notifications: the worker polls every
`worker_poll_seconds` — a few indexed queries — which is fine for the one-process install.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from cuecast import config
from cuecast.posts.models import HoldCause, Target, TargetState

log = logging.getLogger("cuecast.worker")

CHANNEL = "cuecast_due"
# A listening worker still looks at the table this often: notifications are a shortcut, the
# table is the truth (a notification sent while the listener reconnected is not lost for long).
LISTENING_MAX_SLEEP = 2.0


def seconds_until_due(max_sleep: float) -> float:
    """Seconds until the earliest moment anything may need this worker, at most `max_sleep`."""
    now = timezone.now()
    ahead = timedelta(seconds=config.load().worker_lookahead_seconds)
    candidates = [
        _earliest(Target.objects.filter(state=TargetState.SCHEDULED), "next_attempt_at", -ahead),
        _earliest(Target.objects.filter(state=TargetState.UNCONFIRMED), "next_attempt_at"),
        _earliest(
            Target.objects.filter(state=TargetState.HELD, hold=HoldCause.QUOTA), "next_attempt_at"
        ),
        _earliest(Target.objects.filter(state=TargetState.PUBLISHING), "lease_expires_at"),
    ]
    soonest = min((c for c in candidates if c is not None), default=None)
    if soonest is None:
        return max_sleep
    return max(0.0, min(max_sleep, (soonest - now).total_seconds()))


def _earliest(rows: Any, field: str, shift: timedelta = timedelta(0)) -> datetime | None:
    value: datetime | None = (
        rows.filter(**{f"{field}__isnull": False})
        .order_by(field)
        .values_list(field, flat=True)
        .first()
    )
    return None if value is None else value + shift


class Waker:
    """Sleeps for a polling worker; listens for notifications on PostgreSQL."""

    def __init__(self, max_sleep: float) -> None:
        self.max_sleep = max_sleep

    @staticmethod
    def for_database() -> Waker:
        if connection.vendor == "postgresql":
            try:
                return ListeningWaker()
            except Exception:  # the worker still works by polling; say why once
                log.exception("could not LISTEN for due targets; polling instead")
        return Waker(config.load().worker_poll_seconds)

    def wait(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(seconds)

    def close(self) -> None:
        pass


class ListeningWaker(Waker):
    def __init__(self) -> None:
        import psycopg

        super().__init__(LISTENING_MAX_SLEEP)
        settings = connection.settings_dict
        self.conn = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            autocommit=True,
        )
        self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, seconds: float, stop: threading.Event) -> None:
        if stop.is_set():
            return
        for _notice in self.conn.notifies(timeout=seconds, stop_after=1):
            break

    def close(self) -> None:
        self.conn.close()
