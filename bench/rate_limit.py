"""Rate-limit use: one account whose emulator allows L posts per window, far more than L targets due.

Cuecast should send exactly as fast as the network allows: the table shows the share of the allowed
requests it used while it had work to send (target ≥ 95 %) and how many 429 answers it drew
(target 0). The share counts what the server counted (the posts and the account's other requests,
such as metric reads) in the windows from the first post's to the one before the last post's: the
last window is where the work ran out, partly used whatever the pace.
The Mastodon emulator counts in fixed windows aligned to the clock (rack-attack style) and names the
limit, the remainder and the reset in its X-RateLimit-* headers. The window is seconds, not
Mastodon's 5 minutes, so the run stays short; the mechanics are the same.

The account has published before, as an account in use has (a post in each of two consecutive
windows): its budget knows the server's figure and its window's length. A brand-new account's
first call is a probe (ADR 0006): the others wait for its answer, a round trip plus the workers'
look-ahead, once in the account's life - under 1 % of a real 5-minute window, much of the bench's
5-second one; and until two consecutive windows have shown their length, a window shorter than
documented is only known from its first answers.
"""

from __future__ import annotations

import math
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import workload
from bench.burst import run_burst
from bench.harness import Session
from bench.table import Row, check

USE_TARGET = 0.95


@dataclass(frozen=True)
class LimitCase:
    limit: int  # posts per window
    period: float  # seconds
    targets: int


FULL = LimitCase(limit=100, period=10.0, targets=500)
QUICK = LimitCase(limit=20, period=5.0, targets=60)


def windows_spanned(first: float, last: float, period: float) -> int:
    """Aligned windows from the one holding `first` to the one holding `last`, both included."""
    return int(last // period) - int(first // period) + 1


def windows_used(counted: list[float], first: float, last: float, case: LimitCase) -> float:
    """Requests the server counted in the windows from `first`'s to the one before `last`'s, as a
    share of what those windows allowed; all work in one window: fully used."""
    start, end = int(first // case.period), int(last // case.period)
    if end == start:
        return 1.0
    used = sum(1 for at in counted if start <= int(at // case.period) < end)
    return used / (case.limit * (end - start))


def warm_up(channel: int, period: float) -> None:
    """The account publishes a post early in each of two consecutive windows, as an account in use
    does; the burst begins in a later window."""
    from cuecast.publishing import dispatcher

    for _ in range(2):
        time.sleep(period - time.time() % period + 0.1)
        post = workload.insert_targets([channel], 1)
        workload.make_due(post, datetime.now(UTC))
        dispatcher.run_until_idle()
    time.sleep(period - time.time() % period + 0.05)


def run(session: Session) -> list[Row]:
    env = session.environment()
    case = QUICK if session.quick else FULL
    workers = int(session.context.get("cuecast", {}).get("workers") or 2)
    env.fresh_start()
    control = env.sandbox.control
    [channel] = workload.make_channels(control, env.sandbox.url, 1)
    control.config("mastodon", rate_limit=case.limit, rate_period=case.period)
    warm_up(channel, case.period)
    batch = workload.insert_targets([channel], case.targets)

    def start() -> list[subprocess.Popen[bytes]]:
        return env.start_cuecast_workers(workers)

    allowed_seconds = math.ceil(case.targets / case.limit) * case.period
    result = run_burst(
        env,
        batch,
        start_workers=start,
        announce=workload.make_due,
        lead_seconds=2.0,
        timeout=allowed_seconds * (2 if session.quick else 4) + 30,
    )
    times = workload.received_times(control)
    keys = workload.batch_keys(batch)
    arrivals = [min(times[key]) for key in keys if key in times]
    requests = control.requests("mastodon")
    refused = sum(1 for r in requests if r["status"] == 429)
    # Unfinished work counts against the rate: the windows run on until the wait gave up.
    last = max(arrivals) if result.settled and arrivals else result.ended_at
    spanned = windows_spanned(min(arrivals), last, case.period) if arrivals else 0
    # What the server counted (the account's answered requests: Cuecast's metric reads too)
    # in the windows before the last, where the work ran out: the share of the allowed rate used
    # while there was work to send.
    counted = [r["at"] for r in requests if r["status"] != 429 and r["user"]]
    use = windows_used(counted, min(arrivals), last, case) if arrivals else None
    span = (int(min(arrivals) // case.period), int(last // case.period)) if arrivals else (0, -1)
    per_window = [
        sum(1 for at in counted if int(at // case.period) == w) for w in range(span[0], span[1] + 1)
    ]
    best = math.ceil(
        sum(1 for at in counted if span[0] <= at // case.period <= span[1]) / case.limit
    )
    setup = (
        f"{case.limit} posts per {case.period:.0f} s window, {case.targets} targets, K={workers}"
    )
    return [
        Row(
            "rate limit",
            "share of the allowed rate used",
            None if use is None else use * 100,
            "%",
            f"≥ {USE_TARGET:.0%} (target)",
            check(use, at_least=USE_TARGET),
            note=f"{setup}: {len(arrivals)} of {case.targets} posted in {spanned} windows "
            f"(at best {best}, counting the account's other requests; per window: "
            f"{', '.join(str(n) for n in per_window)}); "
            f"{result.figures.duplicates} "
            f"duplicates{'' if result.settled else '; the wait timed out'}",
        ),
        Row(
            "rate limit",
            "429 answers drawn",
            float(refused),
            "",
            "0 (target)",
            check(float(refused), at_most=0),
            note=f"of {len(requests)} requests the emulator logged",
        ),
    ]
