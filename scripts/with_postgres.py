#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL server: `with_postgres.py pytest tests/api`.

Starts a server from the machine's PostgreSQL binaries in a temporary directory (as the `postgres`
user when run as root, since PostgreSQL refuses to run as root), on a free loopback port, sets
CUECAST_DATABASE_URL for the command, and removes everything afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        raise SystemExit(
            f"PostgreSQL's {name} was not found. Install PostgreSQL (make system-deps does)."
        )
    return candidates[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="cuecast-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    log = root / "server.log"
    subprocess.run(
        as_owner(
            [
                pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "cuecast",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    subprocess.run(
        as_owner([pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"postgres://cuecast@127.0.0.1:{port}/cuecast"
        subprocess.run(
            [pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "cuecast", "cuecast"],
            check=True,
        )
        env = {**os.environ, "CUECAST_DATABASE_URL": url}
        print(f"PostgreSQL running at {url} for: {' '.join(argv)}", flush=True)
        return subprocess.run(argv, env=env, check=False).returncode
    finally:
        subprocess.run(
            as_owner([pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.1)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
