"""One sandbox server for the whole module run, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing import RunningSandbox, running_sandbox


@pytest.fixture(scope="session")
def _server() -> Iterator[RunningSandbox]:
    with running_sandbox() as sb:
        yield sb


@pytest.fixture
def sb(_server: RunningSandbox) -> Iterator[RunningSandbox]:
    _server.control.reset()
    yield _server
    _server.control.reset()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        yield client
