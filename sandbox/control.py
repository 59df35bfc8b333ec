"""The control API under ``/_sandbox``: reset, mint tokens, inject faults, read the logs."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.common.accounts import AccountExists
from sandbox.common.chaos import control_endpoint as chaos
from sandbox.common.faults import FaultError
from sandbox.common.latency import control_endpoint as latency
from sandbox.common.network import Network
from sandbox.registry import NETWORKS
from sandbox.state import SandboxState


def _sandbox(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _network(request: Request) -> Network | None:
    return NETWORKS.get(request.path_params["network"])


async def index(request: Request) -> Response:
    sandbox = _sandbox(request)
    base = str(request.base_url).rstrip("/")
    with sandbox.lock:
        networks = {
            name: {"base_url": f"{base}{net.prefix}", **net.describe(sandbox)}
            for name, net in NETWORKS.items()
        }
    return JSONResponse({"networks": networks})


async def reset(request: Request) -> Response:
    _sandbox(request).reset()
    return JSONResponse({"reset": True})


async def tokens(request: Request) -> Response:
    network = _network(request)
    if network is None:
        return _error("unknown network", 404)
    try:
        body = await _json(request)
        with _sandbox(request).lock:
            return JSONResponse(network.mint_tokens(_sandbox(request), body))
    except LookupError as exc:
        return _error(str(exc.args[0]) if exc.args else "not found", 404)
    except ValueError as exc:
        return _error(str(exc))


async def accounts(request: Request) -> Response:
    """A new account on demand; 201 with what ``/{network}/tokens`` needs under "tokens"."""
    network = _network(request)
    if network is None:
        return _error("unknown network", 404)
    try:
        body = await _json(request)
        with _sandbox(request).lock:
            return JSONResponse(network.add_account(_sandbox(request), body), status_code=201)
    except LookupError as exc:
        return _error(str(exc.args[0]) if exc.args else "not found", 404)
    except AccountExists as exc:
        return _error(str(exc), 409)
    except ValueError as exc:
        return _error(str(exc))


async def add_fault(request: Request) -> Response:
    sandbox = _sandbox(request)
    try:
        body = await _json(request)
        network = NETWORKS.get(str(body.get("network")))
        if body.get("kind") == "tier" and network is not None and not network.tiers:
            return _error(f"{network.name} has no access tiers")
        with sandbox.lock:
            fault = sandbox.faults.add(body, tuple(NETWORKS))
    except (FaultError, ValueError) as exc:
        return _error(str(exc))
    return JSONResponse(fault.to_json(), status_code=201)


async def list_faults(request: Request) -> Response:
    sandbox = _sandbox(request)
    with sandbox.lock:
        return JSONResponse({"faults": [f.to_json() for f in sandbox.faults.pending()]})


async def clear_faults(request: Request) -> Response:
    sandbox = _sandbox(request)
    with sandbox.lock:
        return JSONResponse({"cleared": sandbox.faults.clear()})


async def received(request: Request) -> Response:
    sandbox = _sandbox(request)
    network = request.query_params.get("network")
    user = request.query_params.get("user")
    with sandbox.lock:
        posts = [p.to_json() for p in sandbox.logs.posts(network, user)]
    return JSONResponse({"received": posts, "count": len(posts)})


async def requests_log(request: Request) -> Response:
    sandbox = _sandbox(request)
    network = request.query_params.get("network")
    with sandbox.lock:
        records = [r.to_json() for r in sandbox.logs.request_log(network)]
    return JSONResponse({"requests": records, "count": len(records)})


async def metrics(request: Request) -> Response:
    network = _network(request)
    if network is None:
        return _error("unknown network", 404)
    try:
        body = await _json(request)
        if "id" not in body or not isinstance(body.get("metrics"), dict):
            return _error("body needs 'id' and an object 'metrics'")
        with _sandbox(request).lock:
            result = network.set_metrics(_sandbox(request), str(body["id"]), body["metrics"])
    except LookupError as exc:
        return _error(str(exc.args[0]) if exc.args else "not found", 404)
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return JSONResponse(result)


async def config(request: Request) -> Response:
    network = _network(request)
    if network is None:
        return _error("unknown network", 404)
    try:
        body = await _json(request) if request.method == "POST" else {}
        with _sandbox(request).lock:
            return JSONResponse(network.configure(_sandbox(request), body))
    except (TypeError, ValueError) as exc:
        return _error(str(exc))


routes = [
    Route("/", index, methods=["GET"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/faults", add_fault, methods=["POST"]),
    Route("/faults", list_faults, methods=["GET"]),
    Route("/faults", clear_faults, methods=["DELETE"]),
    Route("/chaos", chaos, methods=["GET", "POST", "DELETE"]),
    Route("/latency", latency, methods=["GET", "POST"]),
    Route("/received", received, methods=["GET"]),
    Route("/requests", requests_log, methods=["GET"]),
    Route("/{network}/tokens", tokens, methods=["POST"]),
    Route("/{network}/accounts", accounts, methods=["POST"]),
    Route("/{network}/metrics", metrics, methods=["POST"]),
    Route("/{network}/config", config, methods=["GET", "POST"]),
]
