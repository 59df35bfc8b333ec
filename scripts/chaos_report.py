"""The chaos test's verdict: the sandbox's received list against the database, target by target.

Each chaos post's text names its run and number ("Chaos 1a2b3c target 00042 on x, …"), so the
received list says how many times each target reached its network. From that:
- published exactly once: on the network once, and the database says published;
- published twice: on the network more than once (must be 0);
- lost (must be 0): the database says published but the network lacks it; on the network while
  the database says failed, held or scheduled; still open (scheduled, publishing, being checked)
  after the settle period; or a chaos post on the network that no target accounts for;
- held, failed, unconfirmed ("please check"): with their reasons, grouped.
Lateness is the network's time of the first copy minus the target's due time.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TextIO

TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")
TEXT_PATTERN = re.compile(r"Chaos (?P<run>[0-9a-f]+) target (?P<number>\d{5}) on (?P<network>\w+)")
MAX_DETAILS = 20  # problem targets described in full (attempts and copies)
SLOWEST = 5  # the latest targets, described in full: what made them late
# Kinds of loss, worst first: (how the verdict begins, how the report names it). Problems are
# listed, and described in full, in this order.
LOSS_KINDS = (
    ("on the network, but no target sent it", "a post no target sent"),
    ("the database says published, but", "published in the database only"),
    ("on the network, but the database says", "on the network, not published in the database"),
    ("still ", "still open after the settle period"),
)


@dataclass(frozen=True)
class Expected:
    target_id: int
    post_id: int
    network: str


@dataclass
class Problem:
    target_id: int | None
    network: str
    what: str
    state: str = ""
    copies: int = 0
    reason: str = ""  # the target's own reason and next attempt, as the database has them
    next_attempt_at: str = ""
    attempts: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ChaosReport:
    run_tag: str
    targets: int
    exactly_once: int
    duplicates: list[Problem]
    lost: list[Problem]
    not_published: dict[str, dict[str, int]]  # heading -> "network: reason" -> targets
    unconfirmed_on_network: int  # "please check" targets that did go out (the check will say so)
    lateness: dict[str, float]
    injected: dict[str, Any]
    kills: int
    interrupted: int  # attempts a kill cut off: left pending, then found unknown
    phases: dict[str, float]  # seconds spent setting up, under chaos, settling
    settled: bool
    attempts: dict[str, int]
    slowest: list[Problem] = field(default_factory=list)
    waiting_until: str = ""  # the latest time a waiting target goes out

    @property
    def ok(self) -> bool:
        return not self.duplicates and not self.lost

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def group_received(
    received: list[dict[str, Any]], run_tag: str, expected: dict[int, Expected]
) -> tuple[dict[int, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Copies per target number, and the posts no target accounts for."""
    copies: dict[int, list[dict[str, Any]]] = defaultdict(list)
    strangers: list[dict[str, Any]] = []
    for post in received:
        match = TEXT_PATTERN.search(post.get("text") or "")
        wanted = expected.get(int(match["number"])) if match else None
        if match is None or wanted is None or not _is_ours(match, wanted, post, run_tag):
            strangers.append(post)
        else:
            copies[int(match["number"])].append(post)
    return copies, strangers


def _is_ours(match: re.Match[str], wanted: Expected, post: dict[str, Any], run_tag: str) -> bool:
    same_network = wanted.network == post.get("network") == match["network"]
    return match["run"] == run_tag and same_network


def _targets(expected: dict[int, Expected]) -> dict[int, dict[str, Any]]:
    from cuecast.posts.models import Target

    ids = [e.target_id for e in expected.values()]
    fields = ("id", "state", "reason", "due_at", "next_attempt_at", "external_id")
    return {row["id"]: row for row in Target.objects.filter(pk__in=ids).values(*fields)}


def _attempts(target_id: int) -> list[dict[str, Any]]:
    from cuecast.publishing.models import PublishAttempt

    fields = ("kind", "worker", "started_at", "finished_at", "outcome", "error_kind", "message")
    rows = PublishAttempt.objects.filter(target_id=target_id).order_by("started_at", "id")
    return [{k: str(v) for k, v in row.items()} for row in rows.values(*fields)]


def _attempt_counts(target_ids: list[int]) -> dict[str, int]:
    from cuecast.publishing.models import PublishAttempt

    rows = PublishAttempt.objects.filter(target_id__in=target_ids)
    counts = Counter(f"{kind} {outcome}" for kind, outcome in rows.values_list("kind", "outcome"))
    return dict(sorted(counts.items()))


def is_waiting(row: dict[str, Any], now: datetime) -> bool:
    """Scheduled, or still being checked, for a time the engine named that lies beyond `now`
    (a rate limit's reset, a retry's backoff): not stuck, and its reason says when."""
    later = row["next_attempt_at"] is not None and row["next_attempt_at"] > now
    return row["state"] in ("scheduled", "unconfirmed") and later


def _interrupted(expected: dict[int, Expected], killed_pids: list[int]) -> int:
    """Attempts by killed workers whose answer never came back (worker ids are host:pid:random)."""
    from cuecast.publishing.models import AttemptOutcome, PublishAttempt

    killed = {str(pid) for pid in killed_pids}
    rows = PublishAttempt.objects.filter(
        target_id__in=[e.target_id for e in expected.values()],
        outcome__in=[AttemptOutcome.PENDING, AttemptOutcome.UNKNOWN],
    )
    return sum(1 for worker in rows.values_list("worker", flat=True) if _pid(worker) in killed)


def _pid(worker: str) -> str:
    parts = worker.split(":")
    return parts[-2] if len(parts) >= 3 else ""


def judge(row: dict[str, Any], copies: int, now: datetime) -> str | None:
    """Why this target counts as lost at `now` (the workers stopped), or None when it does not."""
    state = row["state"]
    if state == "published":
        return None if copies else "the database says published, but the network lacks it"
    if copies and state in ("failed", "held", "cancelled", "scheduled"):
        return f"on the network, but the database says {state}"
    if state == "unconfirmed" and row["next_attempt_at"] is None:
        return None  # waiting for someone to check; the copies decide what the check finds
    if is_waiting(row, now):
        return None
    if state in ("scheduled", "publishing", "unconfirmed", "draft"):
        return f"still {state} after the settle period (due {row['next_attempt_at']})"
    return None


def label(row: dict[str, Any], now: datetime) -> str:
    """The heading a target that was not published is counted under."""
    if is_waiting(row, now):
        return "waiting for a time the engine named"
    if row["state"] == "unconfirmed" and row["next_attempt_at"] is None:
        return "unconfirmed, please check"
    return str(row["state"])


def reason_key(network: str, reason: str) -> str:
    """Reasons grouped across targets: clock times differ from target to target."""
    return f"{network}: " + TIME_OF_DAY.sub("hh:mm", reason or "(no reason given)")


def build_report(
    *,
    expected: dict[int, Expected],
    received: list[dict[str, Any]],
    injected: dict[str, Any],
    killed_pids: list[int],
    run_tag: str,
    phases: dict[str, float],
    settled: bool,
    judged_at: datetime,
) -> ChaosReport:
    """The verdict; a target counts as waiting, not stuck, when its next attempt was due after
    `judged_at`, the moment the workers were told to stop."""
    rows = _targets(expected)
    copies, strangers = group_received(received, run_tag, expected)
    report = ChaosReport(
        run_tag=run_tag,
        targets=len(expected),
        exactly_once=0,
        duplicates=[],
        lost=[
            Problem(
                None, p.get("network", ""), "on the network, but no target sent it", received=[p]
            )
            for p in strangers
        ],
        not_published={},
        unconfirmed_on_network=0,
        lateness={},
        injected=injected,
        kills=len(killed_pids),
        interrupted=_interrupted(expected, killed_pids),
        phases={name: round(seconds, 1) for name, seconds in phases.items()},
        settled=settled,
        attempts=_attempt_counts([e.target_id for e in expected.values()]),
    )
    late: list[tuple[float, Expected]] = []
    now = judged_at
    for number, wanted in sorted(expected.items()):
        row, found = rows[wanted.target_id], copies.get(number, [])
        if found:
            first = min(_parse_time(p["created_at"]) for p in found)
            late.append(((first - row["due_at"]).total_seconds(), wanted))
        _classify(report, wanted, row, found, now)
    report.not_published = {
        heading: dict(sorted(reasons.items(), key=lambda item: -item[1]))
        for heading, reasons in sorted(report.not_published.items())
    }
    report.lateness = _lateness([seconds for seconds, _ in late])
    report.lost.sort(key=severity)
    report.slowest = [
        Problem(w.target_id, w.network, f"{seconds:.1f} s late", rows[w.target_id]["state"])
        for seconds, w in sorted(late, key=lambda item: -item[0])[:SLOWEST]
    ]
    for problem in [*report.duplicates, *report.lost][:MAX_DETAILS] + report.slowest:
        if problem.target_id is not None:
            problem.attempts = _attempts(problem.target_id)
    return report


def severity(problem: Problem) -> int:
    starts = (n for n, (prefix, _) in enumerate(LOSS_KINDS) if problem.what.startswith(prefix))
    return next(starts, len(LOSS_KINDS))


def loss_kinds(problems: list[Problem]) -> dict[str, int]:
    """How many of each kind of loss, worst first."""
    counts = Counter(severity(p) for p in problems)
    names = [name for _, name in LOSS_KINDS] + ["other"]
    return {names[n]: counts[n] for n in sorted(counts)}


def _classify(
    report: ChaosReport,
    wanted: Expected,
    row: dict[str, Any],
    found: list[dict[str, Any]],
    now: datetime,
) -> None:
    state = row["state"]
    problem = Problem(
        wanted.target_id,
        wanted.network,
        "",
        state,
        len(found),
        reason=row["reason"],
        next_attempt_at=str(row["next_attempt_at"] or ""),
        received=found,
    )
    lost = judge(row, len(found), now)
    if len(found) > 1:
        problem.what = "; ".join(filter(None, [f"published {len(found)} times", lost]))
        report.duplicates.append(problem)
    elif lost is not None:
        problem.what = lost
        report.lost.append(problem)
    elif state == "published":
        report.exactly_once += 1
    if state != "published":
        heading = report.not_published.setdefault(label(row, now), {})
        key = reason_key(wanted.network, row["reason"])
        heading[key] = heading.get(key, 0) + 1
        if state == "unconfirmed" and found:
            report.unconfirmed_on_network += 1
        if is_waiting(row, now):
            report.waiting_until = max(report.waiting_until, row["next_attempt_at"].isoformat())


def _lateness(late: list[float]) -> dict[str, float]:
    return {
        "count": len(late),
        "p50": round(percentile(late, 0.50), 2),
        "p90": round(percentile(late, 0.90), 2),
        "p99": round(percentile(late, 0.99), 2),
        "max": round(max(late, default=0.0), 2),
    }


def print_report(report: ChaosReport, out: TextIO) -> None:
    def line(label: str, value: object) -> None:
        out.write(f"  {label:<44} {value}\n")

    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in report.phases.items())
    out.write(f"\nChaos run {report.run_tag} ({phases})\n")
    line("targets", report.targets)
    line("published exactly once", report.exactly_once)
    line("published twice (must be 0)", len(report.duplicates))
    line("lost (must be 0)", len(report.lost))
    for kind, count in loss_kinds(report.lost).items():
        out.write(f"      {count:>6}  {kind}\n")
    for state, reasons in report.not_published.items():
        line(state, sum(reasons.values()))
        for reason, count in reasons.items():
            out.write(f"      {count:>6}  {reason}\n")
    if report.unconfirmed_on_network:
        line("  of the unconfirmed, on the network", report.unconfirmed_on_network)
    if report.waiting_until:
        line("  the last waiting target goes out at", report.waiting_until)
    lat = report.lateness
    line(
        "lateness s (p50 / p90 / p99 / max)",
        f"{lat['p50']} / {lat['p90']} / {lat['p99']} / {lat['max']}  over {lat['count']} posts",
    )
    for kind, total in report.injected.get("totals", {}).items():
        per_network = ", ".join(f"{n} {c}" for n, c in report.injected["injected"][kind].items())
        line(f"injected {kind}", f"{total}  ({per_network})" if per_network else total)
    line("workers SIGKILLed", report.kills)
    line("  calls they had in flight (outcome unknown)", report.interrupted)
    line("settled before the limit", "yes" if report.settled else "NO")
    for name, count in report.attempts.items():
        line(f"attempts: {name}", count)
    _print_problems(report, out)
    out.write("\n" + ("OK: no duplicates, nothing lost.\n" if report.ok else "FAILED.\n"))


def _print_problems(report: ChaosReport, out: TextIO) -> None:
    problems = [*report.duplicates, *report.lost]
    if problems:
        out.write("\nProblems (the first few in full):\n")
        _print_details(problems[:MAX_DETAILS], out)
    if report.slowest:
        out.write("\nThe latest targets:\n")
        _print_details(report.slowest, out)


def _print_details(problems: list[Problem], out: TextIO) -> None:
    for problem in problems:
        out.write(
            f"- target {problem.target_id} ({problem.network}, {problem.state}): {problem.what}\n"
        )
        if problem.reason or problem.next_attempt_at:
            out.write(
                f"    reason: {problem.reason or '-'}; next: {problem.next_attempt_at or '-'}\n"
            )
        for attempt in problem.attempts:
            out.write(
                "    {kind} by {worker} {started_at} → {finished_at}: {outcome} {error_kind} "
                "{message}\n".format(**attempt)
            )
        for copy in problem.received:
            out.write(f"    on the network: {copy.get('id')} at {copy.get('created_at')}\n")
