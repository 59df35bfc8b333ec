"""The sandbox's Starlette app: every network under its prefix, the control API at /_sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from sandbox import control
from sandbox.registry import NETWORKS
from sandbox.state import SandboxState


async def _root(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "sandbox": "cuecast",
            "networks": {name: f"{base}{net.prefix}" for name, net in NETWORKS.items()},
            "control": f"{base}/_sandbox/",
        }
    )


def create_app(state: SandboxState | None = None) -> Starlette:
    """Build the sandbox app around ``state`` (a fresh, pre-seeded one by default)."""
    routes: list[BaseRoute] = [Route("/", _root, methods=["GET"])]
    routes.append(Mount("/_sandbox", routes=control.routes))
    for network in NETWORKS.values():
        routes.append(Mount(network.prefix, routes=network.routes()))
    app = Starlette(routes=routes)
    app.state.sandbox = state if state is not None else SandboxState()
    return app
