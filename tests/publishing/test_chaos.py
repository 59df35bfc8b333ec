"""The chaos test in reduced form (issue #4, proof 1; `make chaos` is the full run).

The harness of scripts/chaos.py, on the test's PostgreSQL database: 3 real `cuecast worker`
processes, 21 sandbox channels (3 per network), 400 targets due over 15 seconds, a worker SIGKILLed
every couple of seconds, and the sandbox injecting 5xx answers, timeouts after accepting, 429 bursts
and slow answers at random. Nothing may be published twice and nothing may be lost; and so that it
cannot pass by doing nothing, every kind of fault must really have been injected, workers must
really have died, and most targets must really have gone out.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from cuecast import config
from sandbox.common.chaos import CHAOS_KINDS
from scripts.chaos import DEFAULT_CHAOS, Environment, Plan, run
from scripts.chaos_report import (
    Expected,
    Problem,
    group_received,
    judge,
    loss_kinds,
    percentile,
    print_report,
    severity,
)
from tests.publishing.test_crash import database_url

REDUCED = Plan(
    targets=400,
    channels=21,
    workers=3,
    kill_every=2,
    spread_seconds=15,
    lead_seconds=5,
    seconds_limit=50,
    settle_seconds=90,
    # One of each kind first, whatever the draws: a short run must not miss a kind by luck.
    chaos={**DEFAULT_CHAOS, "first_of_each": True},
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)  # the run takes 2-3 minutes; a stuck one must still end
def test_reduced_chaos_run_publishes_nothing_twice_and_loses_nothing(actor, tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("the chaos test runs on PostgreSQL (make test-postgres)")
    env = Environment(database_url(), config.load().data_dir, tmp_path)

    report = run(REDUCED, env, actor)
    print_report(report, sys.stdout)  # shown with -s, and on failure

    duplicates = [(p.target_id, p.network, p.what) for p in report.duplicates]
    lost = [(p.target_id, p.network, p.what) for p in report.lost]
    assert not duplicates, f"published twice: {duplicates}"
    assert not lost, f"lost: {lost}"
    injected = report.injected["totals"]
    assert all(injected[kind] > 0 for kind in CHAOS_KINDS), injected
    assert report.kills >= 2 and report.interrupted > 0, "no kill landed during a call"
    assert report.exactly_once >= REDUCED.targets * 0.6, "most targets must really go out"


# --- the verdict itself: it must see duplicates, losses and strangers when they are there ---------
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def row(state: str, next_in: float | None = None, reason: str = "") -> dict[str, Any]:
    later = None if next_in is None else NOW + timedelta(seconds=next_in)
    return {"state": state, "next_attempt_at": later, "reason": reason, "due_at": NOW}


@pytest.mark.parametrize(
    ("state", "next_in", "copies", "lost"),
    [
        ("published", None, 1, None),
        ("published", None, 0, "the database says published, but the network lacks it"),
        ("failed", None, 1, "on the network, but the database says failed"),
        ("held", 3600, 1, "on the network, but the database says held"),
        ("scheduled", 600, 1, "on the network, but the database says scheduled"),
        ("scheduled", 600, 0, None),  # waiting for a named time, not stuck
        ("scheduled", -5, 0, "still scheduled after the settle period"),
        ("publishing", -5, 0, "still publishing after the settle period"),
        ("unconfirmed", 30, 0, None),  # a look-up is planned
        ("unconfirmed", -1, 1, "still unconfirmed after the settle period"),
        ("unconfirmed", None, 1, None),  # the person's check will find it
        ("failed", None, 0, None),
        ("held", 3600, 0, None),
    ],
)
def test_judge_names_every_way_to_lose_a_target(
    state: str, next_in: float | None, copies: int, lost: str | None
) -> None:
    verdict = judge(row(state, next_in), copies, NOW)
    assert (verdict or "").startswith(lost or "") and (verdict is None) == (lost is None)


def test_copies_are_counted_per_target_and_strangers_kept_apart() -> None:
    expected = {
        1: Expected(target_id=11, post_id=21, network="x"),
        2: Expected(target_id=12, post_id=22, network="mastodon"),
    }
    text = "Chaos abc123 target {:05d} on {}, sent on cue and exactly once."
    received = [
        {"network": "x", "text": text.format(1, "x")},
        {"network": "x", "text": text.format(1, "x")},
        {"network": "mastodon", "text": "<p>" + text.format(2, "mastodon") + "</p>"},
        {"network": "x", "text": text.format(2, "mastodon")},  # on the wrong network
        {"network": "x", "text": text.replace("abc123", "ffffff").format(1, "x")},  # another run
        {"network": "x", "text": "Hello"},
    ]
    copies, strangers = group_received(received, "abc123", expected)
    assert {n: len(c) for n, c in copies.items()} == {1: 2, 2: 1}
    assert len(strangers) == 3


def test_percentiles_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (0.5, 0.9, 0.99)] == [50.0, 90.0, 99.0]
    assert percentile([], 0.5) == 0.0


def test_losses_are_listed_worst_first() -> None:
    lost = [
        Problem(3, "x", "still scheduled after the settle period (due …)"),
        Problem(2, "x", "on the network, but the database says scheduled"),
        Problem(None, "x", "on the network, but no target sent it"),
        Problem(1, "x", "the database says published, but the network lacks it"),
    ]
    lost.sort(key=severity)
    assert [p.target_id for p in lost] == [None, 1, 2, 3]
    assert list(loss_kinds(lost).values()) == [1, 1, 1, 1]
