"""Serve the sandbox with uvicorn."""

from __future__ import annotations

import uvicorn

from sandbox.app import create_app
from sandbox.state import SandboxState

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, state: SandboxState | None = None
) -> None:
    """Serve every emulator on ``host:port`` until interrupted (blocking)."""
    uvicorn.run(create_app(state), host=host, port=port, log_level="info", access_log=False)
