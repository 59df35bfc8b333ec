"""The chaos test's processes (scripts/chaos.py): helper services for the run's length, and the
`cuecast worker` pool whose members are SIGKILLed at random."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def service(
    name: str, cmd: list[str], env: dict[str, str], log_dir: Path, url: str
) -> Iterator[str]:
    """A helper process (the sandbox, the web server) for the run's length; yields its URL."""
    log = (log_dir / f"{name}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(url, proc, name)
        yield url
    finally:
        stop(proc)
        log.close()


def wait_until_answering(url: str, proc: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the {name} process exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the {name} process did not answer at {url}")


def stop(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]
    ready: bool = False

    def is_ready(self) -> bool:
        """Whether it has started its loop (said so in its log): killing a process that is
        still importing Django would test nothing."""
        if not self.ready:
            self.ready = b" started" in self.log_path.read_bytes()[:4096]
        return self.ready


class WorkerPool:
    """`cuecast worker` processes; at each kill a random one is SIGKILLed and a new one started
    in its place."""

    def __init__(self, env: dict[str, str], log_dir: Path, seed: int) -> None:
        self.env = env
        self.log_dir = log_dir
        self.random = random.Random(seed)  # noqa: S311 -- which worker dies, not a secret
        self.workers: list[Worker] = []
        self.started = 0
        self.kills = 0
        self.killed_pids: list[int] = []

    def start_one(self) -> None:
        self.started += 1
        path = self.log_dir / f"worker-{self.started:03d}.log"
        log = path.open("wb")
        cmd = [sys.executable, "-m", "cuecast.cli", "worker"]
        proc = subprocess.Popen(cmd, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(Worker(proc, path, log))

    def kill_one(self) -> bool:
        """SIGKILL a random working worker and start a replacement; False (and nothing done) while
        fewer than two are working."""
        ready = [worker for worker in self.workers if worker.is_ready()]
        if len(ready) < 2:
            return False
        victim = self.random.choice(ready)
        self.workers.remove(victim)
        self.killed_pids.append(victim.proc.pid)
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(10)
        victim.log.close()
        self.kills += 1
        self.start_one()
        return True

    def stop_all(self, grace: float = 60) -> None:
        """Ask every worker to finish its batch and exit; SIGKILL only one that will not."""
        for worker in self.workers:
            if worker.proc.poll() is None:
                worker.proc.terminate()
        for worker in self.workers:
            stop(worker.proc, grace)
            worker.log.close()
