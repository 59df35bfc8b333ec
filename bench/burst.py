"""One burst, the same for every system: N targets due at instant T, measured at the sandbox.

The system under test gets its worker processes started and its way of learning about the burst
(Cuecast: the target rows' due time; Celery: ETA tasks; django-tasks-db: tasks with run_after).
While the burst drains, the CPU time of the workers, PostgreSQL, the sandbox and everything else on
the machine is counted, so the table can say who had the cores.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psutil

from bench import workload
from bench.harness import Environment, stop_processes
from bench.table import Row
from bench.workload import Batch, BurstFigures

StartWorkers = Callable[[], list[subprocess.Popen[bytes]]]
Announce = Callable[[Batch, datetime], None]  # tell the system about the burst due at T
READY_TIMEOUT = 90.0  # a worker that is not connected and quiet by then starts late, noted
QUIET_CORES = 0.25  # a worker using less CPU than this (of one core) has finished starting
LATE_START = " (workers not ready or not told before T: lateness overstated)"


@dataclass
class CpuShare:
    """CPU seconds used during the burst, by who."""

    workers: float = 0.0
    postgres: float = 0.0
    sandbox: float = 0.0
    machine: float = 0.0  # every process on the machine, the bench's own included
    wall: float = 0.0

    @property
    def others(self) -> float:
        """CPU that went to processes outside the bench: a busy machine skews every figure."""
        return max(0.0, self.machine - self.workers - self.postgres - self.sandbox)

    def per_thousand(self, published: int) -> dict[str, float]:
        """CPU seconds per 1,000 publishes, by who: unlike a rate, this barely moves when other
        processes share the machine, so it says what a quiet machine could do."""
        if published <= 0:
            return {}
        scale = 1000 / published
        return {
            "workers": self.workers * scale,
            "PostgreSQL": self.postgres * scale,
            "sandbox": self.sandbox * scale,
        }

    def describe(self) -> str:
        if self.wall <= 0:
            return ""
        cores = psutil.cpu_count() or 1
        parts = [
            f"{name} {seconds / (self.wall * cores):.0%}"
            for name, seconds in (
                ("workers", self.workers),
                ("PostgreSQL", self.postgres),
                ("sandbox", self.sandbox),
                ("other processes", self.others),
            )
        ]
        return f"CPU of {cores} cores: " + ", ".join(parts)


@dataclass
class BurstResult:
    figures: BurstFigures
    settled: bool
    announce_seconds: float
    announced_in_time: bool  # the workers were ready and knew of the whole burst before T
    cpu: CpuShare
    ended_at: float  # epoch seconds when the wait ended (settled or timed out)
    states: dict[str, int] = field(default_factory=dict)


def cost_row(section: str, label: str, result: BurstResult) -> Row:
    """CPU seconds per 1,000 publishes and the rate the two cores could carry at that cost."""
    cost = result.cpu.per_thousand(result.figures.received)
    total = sum(cost.values())
    cores = psutil.cpu_count() or 1
    ceiling = cores * 1000 / total if total else None
    parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in cost.items())
    return Row(
        section,
        f"{label}: CPU per 1,000 publishes",
        total or None,
        "CPU s",
        note=f"{parts}; at this cost {cores} cores carry at most "
        f"{ceiling or 0:,.0f}/s (CPU-bound ceiling)",
        extra={"cost": cost, "cpu_ceiling_per_second": ceiling},
    )


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of these processes and all their descendants so far, including descendants that
    have exited (PostgreSQL forks a backend per connection; the postmaster reaps them)."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            times = root.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
            for child in root.children(recursive=True):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
        except psutil.NoSuchProcess:
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    times = psutil.cpu_times()
    return float(sum(times)) - times.idle - getattr(times, "iowait", 0.0)


class CpuMeter:
    """CPU seconds per group of processes between `start()` and `stop()`."""

    def __init__(self, env: Environment, workers: list[subprocess.Popen[bytes]]) -> None:
        postgres = [env.postgres.postmaster_pid] if env.postgres else []  # backends: its children
        self.groups = {
            "workers": [w.pid for w in workers],
            "postgres": postgres,
            "sandbox": [env.sandbox.process.pid],
        }
        self.before: dict[str, float] = {}
        self.started = 0.0

    def start(self) -> None:
        self.before = {name: tree_cpu_seconds(pids) for name, pids in self.groups.items()}
        self.before["machine"] = machine_busy_seconds()
        self.started = time.monotonic()

    def stop(self) -> CpuShare:
        used = {
            name: tree_cpu_seconds(pids) - self.before[name] for name, pids in self.groups.items()
        }
        used["machine"] = machine_busy_seconds() - self.before["machine"]
        return CpuShare(**used, wall=time.monotonic() - self.started)


def _connected(process: psutil.Process, ports: set[int]) -> bool:
    for member in [process, *process.children(recursive=True)]:
        for conn in member.net_connections(kind="tcp"):
            if conn.raddr and conn.raddr.port in ports and conn.status == psutil.CONN_ESTABLISHED:
                return True
    return False


def wait_until_ready(workers: list[subprocess.Popen[bytes]], ports: set[int]) -> bool:
    """Wait until every worker holds a connection to its database or broker and has gone quiet
    (imports done, first queries made): a burst must not measure start-up. False at the timeout."""
    deadline = time.monotonic() + READY_TIMEOUT
    processes = [psutil.Process(w.pid) for w in workers]
    while time.monotonic() < deadline:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a worker exited while starting; see its log")
        before = tree_cpu_seconds([p.pid for p in processes])
        time.sleep(0.5)
        busy = (tree_cpu_seconds([p.pid for p in processes]) - before) / 0.5 / len(processes)
        if busy < QUIET_CORES and all(_connected(p, ports) for p in processes):
            return True
    return False


def run_burst(
    env: Environment,
    batch: Batch,
    *,
    start_workers: StartWorkers,
    announce: Announce,
    lead_seconds: float,
    timeout: float,
    ready_ports: set[int] | None = None,
) -> BurstResult:
    """Start the workers, wait until they are ready (connected to `ready_ports`, by default the
    database's), announce the batch as due at T = now + lead, wait until it settles."""
    workers = start_workers()
    try:
        ready = wait_until_ready(workers, ready_ports or {env.database_port})
        due = workload.due_in(lead_seconds)
        began = time.monotonic()
        announce(batch, due)
        announce_seconds = time.monotonic() - began
        in_time = datetime.now(UTC) < due
        meter = CpuMeter(env, workers)
        workload.sleep_until(due)
        meter.start()
        settled = workload.wait_until_settled(batch, timeout)
        ended_at = time.time()
        cpu = meter.stop()
    finally:
        stop_processes(workers)
    figures = workload.burst_figures(
        workload.batch_keys(batch), due, workload.received_times(env.sandbox.control)
    )
    return BurstResult(
        figures,
        settled,
        announce_seconds,
        in_time and ready,
        cpu,
        ended_at,
        workload.state_counts(batch),
    )
