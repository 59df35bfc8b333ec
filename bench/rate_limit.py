"""Rate-limit use: one account whose emulator allows L posts per window, far more than L targets due.

Cuecast should send exactly as fast as the network allows: the table shows the share of the allowed
posts it used in the windows it spanned (target ≥ 95 %) and how many 429 answers it drew (target 0).
The Mastodon emulator counts in fixed windows aligned to the clock (rack-attack style) and names the
limit, the remainder and the reset in its X-RateLimit-* headers. The window is seconds, not
Mastodon's 5 minutes, so the run stays short; the mechanics are the same.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass

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


def run(session: Session) -> list[Row]:
    env = session.environment()
    case = QUICK if session.quick else FULL
    workers = int(session.context.get("cuecast", {}).get("workers") or 2)
    env.fresh_start()
    control = env.sandbox.control
    [channel] = workload.make_channels(control, env.sandbox.url, 1)
    control.config("mastodon", rate_limit=case.limit, rate_period=case.period)
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
    # Unfinished work counts against the rate: the windows run on until the wait gave up.
    last = max(arrivals) if result.settled and arrivals else result.ended_at
    spanned = windows_spanned(min(arrivals), last, case.period) if arrivals else 0
    use = len(arrivals) / (case.limit * spanned) if spanned else None
    statuses = [r["status"] for r in control.requests("mastodon")]
    refused = statuses.count(429)
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
            f"(at best {math.ceil(case.targets / case.limit)}); {result.figures.duplicates} "
            f"duplicates{'' if result.settled else '; the wait timed out'}",
        ),
        Row(
            "rate limit",
            "429 answers drawn",
            float(refused),
            "",
            "0 (target)",
            check(float(refused), at_most=0),
            note=f"of {len(statuses)} requests the emulator logged",
        ),
    ]
