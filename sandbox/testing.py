"""Run the sandbox in a background thread for tests: ``with running_sandbox() as sb: ...``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from sandbox.app import create_app
from sandbox.state import SandboxState


class ControlClient:
    """A small client for the control API (``/_sandbox``)."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=f"{base_url}/_sandbox", timeout=10)

    def close(self) -> None:
        self._http.close()

    def _json(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def reset(self) -> Any:
        return self._json(self._http.post("/reset"))

    def tokens(self, network: str, user: str, **extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            self._http.post(f"/{network}/tokens", json={"user": user, **extra})
        )
        return result

    def fault(self, network: str, kind: str, **spec: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            self._http.post("/faults", json={"network": network, "kind": kind, **spec})
        )
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json(self._http.get("/faults"))["faults"]
        return result

    def clear_faults(self) -> Any:
        return self._json(self._http.delete("/faults"))

    def received(self, network: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("network", network), ("user", user)) if v}
        result: list[dict[str, Any]] = self._json(self._http.get("/received", params=params))[
            "received"
        ]
        return result

    def requests(self, network: str | None = None) -> list[dict[str, Any]]:
        params = {"network": network} if network else {}
        result: list[dict[str, Any]] = self._json(self._http.get("/requests", params=params))[
            "requests"
        ]
        return result

    def metrics(self, network: str, post_id: str, metrics: dict[str, Any]) -> Any:
        return self._json(
            self._http.post(f"/{network}/metrics", json={"id": post_id, "metrics": metrics})
        )

    def config(self, network: str, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.post(f"/{network}/config", json=changes))
        return result

    def add_account(
        self, network: str, username: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A new account on `network`; pass its "tokens" to `tokens()`:
        ``control.tokens(network, **control.add_account(network, "ann")["tokens"])``."""
        body = {"username": username, **extra} if username else extra
        result: dict[str, Any] = self._json(self._http.post(f"/{network}/accounts", json=body))
        return result

    def chaos(self, **settings: Any) -> dict[str, Any]:
        """Turn chaos mode on (sandbox/common/chaos.py): ``chaos(seed=7, error_5xx=0.03)``."""
        result: dict[str, Any] = self._json(self._http.post("/chaos", json=settings))
        return result

    def chaos_report(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.get("/chaos"))
        return result

    def chaos_off(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.delete("/chaos"))
        return result


@dataclass
class RunningSandbox:
    url: str
    state: SandboxState
    control: ControlClient

    def network_url(self, network: str) -> str:
        return f"{self.url}/{network}"


@contextmanager
def running_sandbox(state: SandboxState | None = None) -> Iterator[RunningSandbox]:
    """Start the sandbox on 127.0.0.1 on a free port; stop it on exit."""
    state = state if state is not None else SandboxState()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted sockets inherit this: without it, keep-alive requests wait ~40 ms (Nagle)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(state),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("sandbox server did not start")
        time.sleep(0.005)
    url = f"http://127.0.0.1:{port}"
    control = ControlClient(url)
    try:
        yield RunningSandbox(url=url, state=state, control=control)
    finally:
        control.close()
        state.stopping = True
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()
