"""SandboxState: everything the emulators hold, in memory, guarded by one lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sandbox.common.chaos import Chaos
from sandbox.common.faults import FaultStore
from sandbox.common.latency import LatencyTable
from sandbox.common.logs import Logs

if TYPE_CHECKING:
    from sandbox.common.network import Network

T = TypeVar("T")


class SandboxState:
    """The live state of every emulator.

    uvicorn serves requests on one event loop; tests and the control API may read from other
    threads, so every read or write goes through ``self.lock`` (re-entrant).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.faults = FaultStore()
        self.chaos = Chaos()
        self.latency = LatencyTable()
        self.logs = Logs()
        self.stopping = False
        self._networks: dict[str, Any] = {}
        self.reset()

    @property
    def network_objects(self) -> dict[str, Network]:
        from sandbox.registry import NETWORKS

        return NETWORKS

    def reset(self) -> None:
        """Back to the pre-seeded state: seeded accounts only, no posts, no faults, empty logs."""
        with self.lock:
            self.faults.clear()
            self.chaos.clear()
            self.latency.clear()
            self.logs = Logs()
            self._networks = {
                name: network.initial_state() for name, network in self.network_objects.items()
            }

    def now(self) -> float:
        return self.clock()

    def net(self, name: str, kind: type[T]) -> T:
        """The state object of one network, checked against its expected type."""
        value = self._networks[name]
        if not isinstance(value, kind):
            raise TypeError(f"state of {name} is {type(value).__name__}, not {kind.__name__}")
        return value
