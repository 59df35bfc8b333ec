#!/usr/bin/env python3
"""The chaos test (`make chaos`): exactly once while workers die and networks misbehave.

On PostgreSQL, with several real `cuecast worker` processes, thousands of targets over hundreds of
sandbox channels of all seven networks are published while a random worker is SIGKILLed every few
seconds (and replaced), and the sandbox injects 5xx answers, timeouts after accepting, 429 bursts
and slow answers at random (sandbox/common/chaos.py). Then chaos stops, the workers settle, and the
sandbox's received list is compared with the database, target by target (each post's text names
its target). It prints published exactly once, published twice (must be 0), lost (must be 0),
held, failed and unconfirmed with their reasons, the lateness distribution, the injected faults and
the kills; the exit status is 1 when anything was published twice or lost.

    .venv/bin/python scripts/chaos.py [--targets 10000 --channels 200 --workers 3
                                       --kill-every 3 --seconds-limit 900]

Without a PostgreSQL `CUECAST_DATABASE_URL` it re-runs itself through scripts/with_postgres.py,
which starts a throwaway server. tests/publishing/test_chaos.py runs a reduced form of the same
code in `make test`. docs/testing.md explains the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.testing import ControlClient
from scripts.chaos_processes import WorkerPool, service
from scripts.chaos_report import ChaosReport, Expected, build_report, print_report
from scripts.with_postgres import free_port

REPO = Path(__file__).resolve().parent.parent
NETWORKS = ("x", "mastodon", "bluesky", "linkedin", "facebook", "instagram", "threads")
NEEDS_MEDIA = frozenset({"instagram"})  # Instagram has no text-only posts
DEFAULT_CHAOS: dict[str, float] = {
    "seed": 7,
    "error_5xx": 0.03,
    "timeout_after_accept": 0.01,
    "timeout_seconds": 3,
    "rate_limit_burst": 0.02,
    "slow": 0.05,
    "slow_seconds": 1.5,
}
# The sandbox as a fast world: rate-limit windows of seconds (a 429 burst then costs seconds, not
# X's 15 minutes or LinkedIn's day), caps that 10,000 posts in minutes do not reach, no image
# processing wait. The headers the networks send stay their real ones.
SANDBOX_SETTINGS: dict[str, dict[str, Any]] = {
    "x": {"rate_window_seconds": 10},
    "mastodon": {"rate_period": 10},
    "bluesky": {"write_hour_seconds": 10, "global_limit": 1_000_000},
    "linkedin": {"rate_window_seconds": 10},
    "facebook": {"usage_window_seconds": 10},  # also Instagram's (Facebook Login tokens)
    "instagram": {"image_processing_seconds": 0, "quota_total": 100_000},
    "threads": {"usage_window_seconds": 10, "quota_total": 100_000},
}
TEXT = "Chaos {run} target {number:05d} on {network}, sent on cue and exactly once."
PARKED = timedelta(days=1)  # where new targets wait until the run gives them their times
# A target the engine has put off for longer than this (a rate limit, a backoff) no longer keeps
# the run going; the report lists it as waiting, with its reason.
WAIT_HORIZON = timedelta(seconds=30)
CREATE_THREADS = 4  # creating posts is mostly waiting for the database: do it four at a time


@dataclass(frozen=True)
class Plan:
    targets: int = 10_000
    channels: int = 200
    workers: int = 3
    kill_every: float = 3.0  # seconds between kills, on average
    seconds_limit: float = 900.0  # for every target to become final, from the first due time
    spread_seconds: float = 300.0  # the due times spread over this long
    lead_seconds: float = 10.0  # the first due time, after the workers start
    settle_seconds: float = 180.0  # after chaos stops: time for what is left open to finish
    lease_seconds: float = 5.0
    call_timeout_seconds: float = 2.0  # shorter than chaos' timeout, so timeouts really happen
    poll_seconds: float = 0.2
    chaos: dict[str, float | bool] = field(default_factory=lambda: dict(DEFAULT_CHAOS))


@dataclass(frozen=True)
class Environment:
    """Where the run's processes find each other, and where their logs go."""

    database_url: str
    data_dir: Path
    run_dir: Path

    def process_env(self, sandbox_url: str, public_url: str, plan: Plan) -> dict[str, str]:
        return {
            **os.environ,
            "CUECAST_DATABASE_URL": self.database_url,
            "CUECAST_DATA_DIR": str(self.data_dir),
            "CUECAST_SANDBOX_URL": sandbox_url,
            "CUECAST_PUBLIC_URL": public_url,
            "CUECAST_WORKER_LEASE_SECONDS": str(plan.lease_seconds),
            "CUECAST_WORKER_CALL_TIMEOUT_SECONDS": str(plan.call_timeout_seconds),
            "CUECAST_WORKER_POLL_SECONDS": str(plan.poll_seconds),
            "CUECAST_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",  # a SIGKILLed worker's last lines are the interesting ones
        }


# --- the workspace, its channels and targets ---------------------------------------------------
def prepare_sandbox(control: ControlClient) -> None:
    for network, settings in SANDBOX_SETTINGS.items():
        control.config(network, **settings)


def connect_channels(actor: Any, control: ControlClient, sandbox_url: str, count: int) -> list[Any]:
    """`count` channels spread over the seven networks, each a sandbox account made on demand and
    stored the way that network's connect flow stores it (the demo's conversions)."""
    from cuecast.accounts.demo import _SANDBOX_USERS  # how each connect flow stores an account
    from cuecast.channels.services import save_connected_account

    channels = []
    for index in range(count):
        network = NETWORKS[index % len(NETWORKS)]
        name = f"chaos-{index:03d}" if network == "bluesky" else f"chaos_{index:03d}"
        account = control.add_account(network, name)
        tokens = control.tokens(network, **account["tokens"])
        connected = _SANDBOX_USERS[network][1](tokens, sandbox_url)
        channels.append(save_connected_account(actor, network, connected))
    return channels


def sample_image(actor: Any) -> Any:
    """A small JPEG (Instagram takes JPEG only) that the web process serves to the emulators."""
    from django.core.files.base import ContentFile
    from PIL import Image

    from cuecast.posts.models import Media

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 90)).save(buffer, "JPEG")
    media = Media(
        workspace=actor.workspace,
        content_type="image/jpeg",
        size_bytes=len(buffer.getvalue()),
        width=8,
        height=8,
        alt_text="A small square in Cuecast red",
    )
    media.file.save("chaos.jpg", ContentFile(buffer.getvalue()), save=True)
    return media


def create_targets(
    actor: Any, channels: list[Any], plan: Plan, run_tag: str
) -> dict[int, Expected]:
    """One post with one target each, round the channels, through the product's own
    `create_post`; each text names its number, which is how the received list identifies it.
    They are parked a day ahead until `spread_due_times` gives them their real times, so that
    creating thousands of them (a few minutes) is not part of the timed run."""
    image = sample_image(actor) if any(c.network in NEEDS_MEDIA for c in channels) else None
    parked = _now() + PARKED
    numbers = list(range(plan.targets))
    lanes = [numbers[lane::CREATE_THREADS] for lane in range(CREATE_THREADS)]

    def create(lane: list[int]) -> dict[int, Expected]:
        try:
            return {
                n: _create_one(actor, channels[n % len(channels)], n, run_tag, parked, image)
                for n in lane
            }
        finally:
            _close_db_connection()

    with ThreadPoolExecutor(CREATE_THREADS) as pool:
        created = list(pool.map(create, lanes))
    return {n: e for part in created for n, e in part.items()}


def _create_one(
    actor: Any, channel: Any, number: int, run_tag: str, due: datetime, image: Any
) -> Expected:
    from cuecast.posts.models import ScheduleKind
    from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post

    text = TEXT.format(run=run_tag, number=number, network=channel.network)
    media = [image.pk] if image is not None and channel.network in NEEDS_MEDIA else []
    schedule = ScheduleSpec(ScheduleKind.AT, at=due)
    post = create_post(actor, PostDraft(text, [TargetSpec(channel.pk)], schedule, media))
    return Expected(post.targets.get().pk, post.pk, channel.network)


def _close_db_connection() -> None:
    from django.db import connection

    connection.close()


def spread_due_times(expected: dict[int, Expected], plan: Plan, first_due: datetime) -> None:
    """Give the parked targets their times: evenly from `first_due` over the spread, in one
    transaction (targets and their schedules), while the workers already run."""
    from django.db import transaction

    from cuecast.posts.models import Schedule, Target

    step = plan.spread_seconds / max(plan.targets, 1)
    due = {e.target_id: first_due + timedelta(seconds=n * step) for n, e in expected.items()}
    post_due = {e.post_id: due[e.target_id] for e in expected.values()}
    targets = list(Target.objects.filter(pk__in=due))
    schedules = list(Schedule.objects.filter(post_id__in=post_due))
    for target in targets:
        target.due_at = target.next_attempt_at = due[target.pk]
    for schedule in schedules:
        schedule.at = post_due[schedule.post_id]
    with transaction.atomic():
        Target.objects.bulk_update(targets, ["due_at", "next_attempt_at"], batch_size=500)
        Schedule.objects.bulk_update(schedules, ["at"], batch_size=500)


def _now() -> datetime:
    return datetime.now(UTC)


# --- the run -----------------------------------------------------------------------------------
def open_count(workspace_id: int) -> int:
    """Targets the workers still have to do something about soon: not published, failed,
    cancelled or held, not waiting for someone to check (unconfirmed, no look-up planned), and not
    waiting for a time the engine named beyond WAIT_HORIZON (a rate limit's reset, a backoff)."""
    from django.db.models import Q

    from cuecast.posts.models import Target, TargetState

    final = [TargetState.PUBLISHED, TargetState.FAILED, TargetState.CANCELLED, TargetState.HELD]
    settled = Q(state__in=final)
    settled |= Q(state=TargetState.UNCONFIRMED, next_attempt_at__isnull=True)
    settled |= Q(
        state__in=[TargetState.SCHEDULED, TargetState.UNCONFIRMED],
        next_attempt_at__gt=_now() + WAIT_HORIZON,
    )
    return Target.objects.filter(post__workspace_id=workspace_id).exclude(settled).count()


def wait_for_final(
    workspace_id: int, deadline: float, on_tick: Callable[[], None] = lambda: None
) -> bool:
    """Until no target of the run's workspace is open, or the deadline; ticks twice a second."""
    checked = 0.0
    while time.monotonic() < deadline:
        on_tick()
        if time.monotonic() - checked >= 1:  # a count over thousands of rows: once a second
            if open_count(workspace_id) == 0:
                return True
            checked = time.monotonic()
        time.sleep(0.5)
    return open_count(workspace_id) == 0


def kill_at_random(pool: WorkerPool, every: float) -> Callable[[], None]:
    """A tick that SIGKILLs a random working worker every `every` seconds (0.5x to 1.5x apart).
    Only workers past their start-up are victims, and one always stays working: on a slow
    machine, where starting takes long, kills come less often rather than stopping all work."""
    next_kill = time.monotonic() + every

    def tick() -> None:
        nonlocal next_kill
        if time.monotonic() >= next_kill and pool.kill_one():
            next_kill = time.monotonic() + every * pool.random.uniform(0.5, 1.5)

    return tick


@dataclass(frozen=True)
class World:
    """The run's running helpers: the sandbox (and its control API) and the web process."""

    control: ControlClient
    sandbox_url: str
    child_env: dict[str, str]


@contextmanager
def running_world(plan: Plan, env: Environment) -> Iterator[World]:
    sandbox_port, web_port = free_port(), free_port()
    sandbox_url, public_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
    child_env = env.process_env(sandbox_url, public_url, plan)
    sandbox_cmd = [sys.executable, "-m", "sandbox", "--port", str(sandbox_port)]
    web_cmd = [sys.executable, "-m", "cuecast.cli", "web", "--port", str(web_port)]
    with ExitStack() as stack:
        stack.enter_context(service("sandbox", sandbox_cmd, child_env, env.run_dir, sandbox_url))
        health = f"{public_url}/healthz"
        stack.enter_context(service("web", web_cmd, child_env, env.run_dir, health))
        control = ControlClient(sandbox_url)
        stack.callback(control.close)
        prepare_sandbox(control)
        yield World(control, sandbox_url, child_env)


@dataclass
class ChaosPhase:
    injected: dict[str, Any]
    settled: bool
    phases: dict[str, float]
    stopped_at: datetime  # the workers were told to stop: nothing due later was theirs to do


def under_chaos(
    plan: Plan,
    world: World,
    pool: WorkerPool,
    workspace_id: int,
    due: Callable[[datetime], None],
) -> ChaosPhase:
    """Workers up, chaos on, the targets' times set (`due`), kills until every target is final or
    the limit passes; then chaos off and the workers settle what is left, then stop."""
    for _ in range(plan.workers):
        pool.start_one()
    world.control.chaos(**plan.chaos)
    started = time.monotonic()
    due(_now() + timedelta(seconds=plan.lead_seconds))
    deadline = started + plan.lead_seconds + plan.seconds_limit
    final = wait_for_final(workspace_id, deadline, kill_at_random(pool, plan.kill_every))
    injected = world.control.chaos_off()
    chaos_seconds = time.monotonic() - started
    settled = final or wait_for_final(workspace_id, time.monotonic() + plan.settle_seconds)
    stopped_at = _now()
    pool.stop_all()
    phases = {"chaos": chaos_seconds, "settle": time.monotonic() - started - chaos_seconds}
    return ChaosPhase(injected, settled, phases, stopped_at)


def run(
    plan: Plan, env: Environment, actor: Any, *, echo: Callable[[str], None] = print
) -> ChaosReport:
    """The whole run against an already migrated database; `actor` owns the workspace."""
    env.run_dir.mkdir(parents=True, exist_ok=True)
    run_tag = f"{random.SystemRandom().randrange(16**6):06x}"
    clock = time.monotonic()
    with running_world(plan, env) as world:
        echo(f"run {run_tag}: connecting {plan.channels} sandbox channels …")
        channels = connect_channels(actor, world.control, world.sandbox_url, plan.channels)
        echo(f"run {run_tag}: creating {plan.targets} posts …")
        expected = create_targets(actor, channels, plan, run_tag)
        setup = time.monotonic() - clock
        echo(f"run {run_tag}: chaos on, workers dying, due over {plan.spread_seconds:.0f} s …")
        pool = WorkerPool(world.child_env, env.run_dir, int(plan.chaos.get("seed", 7)))
        try:
            phase = under_chaos(
                plan,
                world,
                pool,
                actor.workspace.pk,
                lambda first: spread_due_times(expected, plan, first),
            )
        finally:
            pool.stop_all()
        # The sandbox's last 5000 requests, for whoever has to explain a problem.
        requests_log = json.dumps(world.control.requests(), indent=1)
        (env.run_dir / "sandbox-requests.json").write_text(requests_log)
        report = build_report(
            expected=expected,
            received=world.control.received(),
            injected=phase.injected,
            killed_pids=pool.killed_pids,
            run_tag=run_tag,
            phases={"setup": setup, **phase.phases},
            settled=phase.settled,
            judged_at=phase.stopped_at,
        )
    (env.run_dir / "report.json").write_text(json.dumps(report.to_json(), indent=2))
    return report


# --- the command line ---------------------------------------------------------------------------
def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/chaos.py", description=__doc__.split("\n")[0])
    parser.add_argument("--targets", type=int, default=Plan.targets)
    parser.add_argument("--channels", type=int, default=Plan.channels)
    parser.add_argument("--workers", type=int, default=Plan.workers)
    parser.add_argument("--kill-every", type=float, default=Plan.kill_every, metavar="SECONDS")
    parser.add_argument("--seconds-limit", type=float, default=Plan.seconds_limit)
    parser.add_argument("--spread", type=float, default=Plan.spread_seconds, metavar="SECONDS")
    parser.add_argument("--settle", type=float, default=Plan.settle_seconds, metavar="SECONDS")
    parser.add_argument("--seed", type=int, default=int(DEFAULT_CHAOS["seed"]))
    parser.add_argument(
        "--chaos",
        type=json.loads,
        default={},
        metavar="JSON",
        help='chaos settings over the defaults, e.g. \'{"slow": 0.2, "slow_seconds": 8}\'',
    )
    parser.add_argument("--run-dir", type=Path, default=None, help="logs and report.json")
    args = parser.parse_args(argv)
    if args.workers < 3:
        parser.error("the chaos test runs at least 3 workers")
    if args.channels < len(NETWORKS):
        parser.error(f"--channels must be at least {len(NETWORKS)}: one per network")
    return args


def plan_from(args: argparse.Namespace) -> Plan:
    return Plan(
        targets=args.targets,
        channels=args.channels,
        workers=args.workers,
        kill_every=args.kill_every,
        seconds_limit=args.seconds_limit,
        spread_seconds=args.spread,
        settle_seconds=args.settle,
        chaos={**DEFAULT_CHAOS, "seed": args.seed, **args.chaos},
    )


def setup_django(env: Environment, name: str) -> Any:
    """Point this process at the run's database and data directory, migrate, and return the
    actor that owns a new workspace called `name` (a database may hold several runs)."""
    os.environ["CUECAST_DATABASE_URL"] = env.database_url
    os.environ["CUECAST_DATA_DIR"] = str(env.data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cuecast.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from cuecast.accounts.models import User
    from cuecast.accounts.services import actor_for_user, create_workspace

    call_command("migrate", interactive=False, verbosity=0)
    owner = User.objects.create_user(name, email=f"{name}@example.com")
    workspace = create_workspace(slug=name, name=f"Chaos test {name}", owner=owner)
    return actor_for_user(owner, workspace)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    database_url = os.environ.get("CUECAST_DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        helper = REPO / "scripts" / "with_postgres.py"
        return subprocess.run(
            [sys.executable, str(helper), sys.executable, str(Path(__file__)), *argv], check=False
        ).returncode
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    run_dir = args.run_dir or REPO / "var" / "chaos" / stamp
    with tempfile.TemporaryDirectory(prefix="cuecast-chaos-") as data_dir:
        env = Environment(database_url, Path(data_dir), run_dir.resolve())
        actor = setup_django(env, f"chaos-{stamp.lower()}")
        report = run(plan_from(args), env, actor)
    print_report(report, sys.stdout)
    print(f"\nLogs and report.json: {run_dir}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
