# The bench runs the machine's own programs (PostgreSQL, python) with arguments it builds itself.
# ruff: noqa: S603
"""The bench's machinery: a PostgreSQL server, the sandbox in its own process, worker processes.

One `Session` per `python -m bench` run. Its `environment()` starts, on first use, a throwaway
PostgreSQL server (with the helpers of scripts/with_postgres.py, but with durable commits: fsync
and synchronous_commit stay on, as in production), the sandbox as a separate process with realistic
latency, and configures Django in this process against that database (bench.settings: Cuecast's
settings plus the django-tasks-db baseline's app). Modules call `environment().fresh_start()` to get
an empty database and a reset sandbox.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from sandbox.testing import ControlClient

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LATENCY = {"network": "*", "median_ms": 120, "p99_ms": 600, "seed": 1}
# The bench's PostgreSQL: production-like durability, room for many worker connections.
PG_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB "
    "-c work_mem=16MB -c max_wal_size=4GB -c checkpoint_timeout=30min"
)


def _with_postgres() -> ModuleType:
    """scripts/with_postgres.py's helpers (pg_bin, free_port, as_owner); scripts/ is no package."""
    spec = importlib.util.spec_from_file_location(
        "with_postgres", ROOT / "scripts" / "with_postgres.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    return int(_with_postgres().free_port())


@dataclass
class Postgres:
    url: str
    port: int
    data: Path
    version: str

    def stop(self) -> None:
        pg = _with_postgres()
        subprocess.run(
            pg.as_owner([pg.pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )

    @property
    def postmaster_pid(self) -> int:
        """The server's first process; every backend is its child."""
        return int((self.data / "postmaster.pid").read_text().split()[0])


def start_postgres(root: Path) -> Postgres:
    pg = _with_postgres()
    data, sockets = root / "pgdata", root / "pgsockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    initdb = [pg.pg_bin("initdb"), "-D", str(data), "-U", "cuecast", "--auth=trust", "-E", "UTF8"]
    subprocess.run(pg.as_owner(initdb), check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    # BENCH_SYNCHRONOUS_COMMIT=off shows what the disk's fsync costs (commits may then be lost
    # in a crash: not how Cuecast should run, only a way to see the bound).
    commit = os.environ.get("BENCH_SYNCHRONOUS_COMMIT", "on")
    options = f"-p {port} -k {sockets} {PG_OPTIONS} -c synchronous_commit={commit}"
    log = root / "postgres.log"
    start = [pg.pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
    subprocess.run(pg.as_owner(start), check=True, stdout=subprocess.DEVNULL)
    createdb = [pg.pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "cuecast"]
    subprocess.run([*createdb, "cuecast"], check=True)
    version = subprocess.run(
        [pg.pg_bin("postgres"), "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if commit != "on":
        version += f" (synchronous_commit={commit})"
    return Postgres(f"postgres://cuecast@127.0.0.1:{port}/cuecast", port, data, version)


class SandboxControl(ControlClient):
    """The sandbox's control API, with the latency route and room for large answers."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self._http.close()
        self._http = httpx.Client(base_url=f"{base_url}/_sandbox", timeout=300)

    def latency(self, **profile: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.post("/latency", json=profile))
        return result


@dataclass
class SandboxProcess:
    url: str
    process: subprocess.Popen[bytes]
    control: SandboxControl

    def stop(self) -> None:
        self.control.close()
        stop_processes([self.process])


def start_sandbox(log: IO[bytes]) -> SandboxProcess:
    """`python -m sandbox` on a free port, as its own process: the workers cannot slow it down
    by holding the GIL, and its CPU use can be read apart from theirs."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the sandbox did not start (see {log.name})")
        time.sleep(0.1)
    return SandboxProcess(url, process, SandboxControl(url))


def stop_processes(processes: Sequence[subprocess.Popen[bytes]], timeout: float = 20) -> None:
    """SIGTERM, wait, then SIGKILL what is left: these are the processes this bench started."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@dataclass
class Environment:
    """PostgreSQL, the sandbox and Django in this process, for one bench run. `postgres` is None
    when the database is someone else's (the smoke test runs on pytest's PostgreSQL database)."""

    root: Path
    database_url: str
    data_dir: Path
    sandbox: SandboxProcess
    postgres: Postgres | None = None
    logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def database_port(self) -> int:
        return urlsplit(self.database_url).port or 5432

    def base_env(self, settings_module: str = "bench.settings") -> dict[str, str]:
        """What every process of the bench needs: the same database, sandbox and secrets."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "CUECAST_DATABASE_URL": self.database_url,
            "CUECAST_DATA_DIR": str(self.data_dir),
            "CUECAST_SANDBOX_URL": self.sandbox.url,
            "CUECAST_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }

    def log_file(self, name: str) -> IO[bytes]:
        handle = (self.root / f"{name}.log").open("ab")
        self.logs.append(handle)
        return handle

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.log_file(name)
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def start_cuecast_workers(self, count: int, **settings: str) -> list[subprocess.Popen[bytes]]:
        """`cuecast worker` processes; `settings` are CUECAST_* variables (WORKER_BATCH="500")."""
        env = self.base_env("cuecast.settings")
        env.update({f"CUECAST_{name.upper()}": value for name, value in settings.items()})
        command = [sys.executable, "-m", "cuecast.cli", "worker"]
        return [self.spawn(f"cuecast-worker-{i}", command, env) for i in range(count)]

    def fresh_start(self, latency: dict[str, Any] | None = None) -> None:
        """An empty database and a reset sandbox with the default latency."""
        from django.core.management import call_command
        from django.db import connection

        call_command("flush", interactive=False, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        self.sandbox.control.reset()
        self.sandbox.control.latency(**(latency or DEFAULT_LATENCY))

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
        self.sandbox.stop()
        if self.postgres is not None:
            self.postgres.stop()
        for handle in self.logs:
            handle.close()


def start_environment(root: Path) -> Environment:
    postgres = start_postgres(root)
    env_log = (root / "sandbox.log").open("ab")
    try:
        sandbox = start_sandbox(env_log)
    except BaseException:
        postgres.stop()  # nothing else will: the environment never came to be
        raise
    environment = Environment(root, postgres.url, root / "data", sandbox, postgres, [env_log])
    try:
        os.environ.update(environment.base_env())
        environment.data_dir.mkdir(exist_ok=True)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
    except BaseException:
        environment.close()
        raise
    return environment


class Session:
    """One bench run: `quick` shrinks every workload; the environment starts on first use."""

    def __init__(self, *, quick: bool, keep: bool = False) -> None:
        self.quick = quick
        self.keep = keep  # keep the logs and data directory for a look afterwards
        self.context: dict[str, Any] = {}
        self._root: Path | None = None
        self._environment: Environment | None = None

    def environment(self) -> Environment:
        if self._environment is None:
            self._root = Path(tempfile.mkdtemp(prefix="cuecast-bench-"))
            self._environment = start_environment(self._root)
            assert self._environment.postgres is not None  # started just now
            self.context["postgres"] = self._environment.postgres.version
            if self.keep:
                self.context["logs"] = str(self._root)
        return self._environment

    def close(self) -> None:
        if self._environment is not None:
            self._environment.close()
        if self._root is not None and not self.keep:
            shutil.rmtree(self._root, ignore_errors=True)
