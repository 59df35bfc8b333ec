"""The Bluesky PDS emulator (AT Protocol XRPC), mounted at ``/bluesky`` (the PDS URL).

Calls are ``{base}/bluesky/xrpc/<nsid>``: queries are GET with query parameters, procedures POST
with a JSON body (uploadBlob: the raw bytes). Errors use the XRPC envelope
``{"error": "<Name>", "message": "<text>"}``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.bluesky import appview, limits, new_accounts, repo, session
from sandbox.bluesky.state import (
    DUPLICATE_RKEY_MODES,
    METRICS,
    BlueskyState,
    seeded_state,
)
from sandbox.bluesky.xrpc import error
from sandbox.common.figures import read_figures, update_figures
from sandbox.common.network import Call, Endpoint, Network, bearer
from sandbox.common.tokens import Token, TokenStore
from sandbox.state import SandboxState

PROFILE_FIGURES = ("followersCount", "followsCount")

ACCESS = ("access",)
REFRESH = ("refresh",)
X = "/xrpc/"


def _bs(sandbox: SandboxState) -> BlueskyState:
    return sandbox.net("bluesky", BlueskyState)


class BlueskyNetwork(Network):
    name = "bluesky"

    def initial_state(self) -> BlueskyState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET", X + "com.atproto.server.describeServer", session.describe_server, auth="none"
            ),
            Endpoint(
                "POST", X + "com.atproto.server.createSession", session.create_session, auth="none"
            ),
            Endpoint(
                "POST",
                X + "com.atproto.server.refreshSession",
                session.refresh_session,
                scopes=REFRESH,
            ),
            Endpoint(
                "GET", X + "com.atproto.server.getSession", session.get_session, scopes=ACCESS
            ),
            Endpoint(
                "POST",
                X + "com.atproto.server.deleteSession",
                session.delete_session,
                scopes=REFRESH,
            ),
            Endpoint(
                "GET", X + "com.atproto.identity.resolveHandle", session.resolve_handle, auth="none"
            ),
            Endpoint(
                "POST",
                X + "com.atproto.repo.createRecord",
                repo.create_record,
                scopes=ACCESS,
                creates=True,
            ),
            Endpoint(
                "POST",
                X + "com.atproto.repo.putRecord",
                repo.put_record,
                scopes=ACCESS,
                creates=True,
            ),
            Endpoint(
                "POST", X + "com.atproto.repo.deleteRecord", repo.delete_record, scopes=ACCESS
            ),
            Endpoint(
                "GET",
                X + "com.atproto.repo.getRecord",
                repo.get_record,
                auth="optional",
                scopes=ACCESS,
            ),
            Endpoint(
                "GET",
                X + "com.atproto.repo.listRecords",
                repo.list_records,
                auth="optional",
                scopes=ACCESS,
            ),
            Endpoint("POST", X + "com.atproto.repo.uploadBlob", repo.upload_blob, scopes=ACCESS),
            Endpoint("GET", X + "com.atproto.sync.getBlob", repo.get_blob, auth="none"),
            Endpoint(
                "GET",
                X + "app.bsky.feed.getPosts",
                appview.get_posts,
                auth="optional",
                scopes=ACCESS,
            ),
            Endpoint(
                "GET",
                X + "app.bsky.actor.getProfile",
                appview.get_profile,
                auth="optional",
                scopes=ACCESS,
            ),
        ]

    def extra_routes(self) -> list[BaseRoute]:
        known = {ep.template[len(X) :]: ep.method for ep in self.endpoints()}

        async def fallback(request: Request) -> Response:
            nsid = request.path_params["nsid"]
            if nsid in known:
                return error(
                    400, f"Incorrect HTTP method ({request.method}) expected {known[nsid]}"
                )
            return error(501)

        return [Route(X + "{nsid}", fallback, methods=["GET", "POST", "PUT", "DELETE"])]

    # --- auth --------------------------------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _bs(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        value = bearer(request)
        return _bs(sandbox).tokens.tokens.get(value) if value else None

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        account = _bs(sandbox).accounts.get(user_id)
        return account.handle if account else None

    def has_scopes(self, token: Token, needed: tuple[str, ...]) -> bool:
        """Access endpoints want an ``at+jwt``, refreshSession a ``refresh+jwt``."""
        return token.kind in needed

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        header = call.request.headers.get("authorization")
        if not header:
            return error(401, "Authentication Required", "AuthMissing")
        parts = header.split(" ")
        if len(parts) != 2:
            return error(400, "Malformed authorization header", "InvalidToken")
        if parts[0].lower() != "bearer":
            return error(400, "Unexpected authorization type", "InvalidToken")
        if token is None:
            return error(400, "Token could not be verified", "InvalidToken")
        if token.expired(sandbox.now()):
            return error(400, "Token has expired", "ExpiredToken")
        if token.revoked:
            return error(400, "Token has been revoked", "ExpiredToken")
        return error(400, "Token could not be verified", "InvalidToken")

    def scope_error(self, call: Call) -> Response:
        return error(400, "Invalid token type", "InvalidToken")

    # --- misbehaviour ------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        return error(status)

    def rate_limited(self, call: Call) -> Response:
        return error(429)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        bs = _bs(call.sandbox)
        cfg = bs.config
        now = call.now
        ip = session.client_ip(call)
        nsid = call.endpoint.template[len(X) :]
        did = call.principal.user_id if call.principal else None
        points = {
            "com.atproto.repo.createRecord": cfg.create_points,
            "com.atproto.repo.putRecord": cfg.update_points,
            "com.atproto.repo.deleteRecord": cfg.delete_points,
        }.get(nsid)
        buckets: list[tuple[tuple[str, str], int, int, int]] = []  # key, points, limit, window
        if points is not None and did is not None:
            buckets.append(
                (("write-hour", did), points, cfg.write_points_hour, cfg.write_hour_seconds)
            )
            buckets.append((("write-day", did), points, cfg.write_points_day, 86400))
        elif nsid == "com.atproto.repo.uploadBlob":
            buckets.append((("upload-day", ip), 1, cfg.upload_blob_limit_day, 86400))
        global_bucket = (("ip", ip), 1, cfg.global_limit, cfg.global_window)
        if burst and nsid != "com.atproto.server.createSession":
            # createSession's own buckets are exhausted by its handler (they need the body)
            key, _, limit, window = buckets[0] if buckets else global_bucket
            bs.limiter.exhaust(key, limit, window, now)
        statuses = [
            bs.limiter.consume(key, cost, limit, window, now)
            for key, cost, limit, window in [global_bucket, *buckets]
        ]
        status = limits.tightest(statuses)
        if status is not None:
            call.headers.update(limits.headers(status))
        return any(s.exceeded for s in statuses)

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        bs = _bs(sandbox)
        user = str(body.get("user", "cuecast-demo.bsky.sandbox"))
        account = bs.account(user)
        if account is None:
            raise LookupError(f"unknown Bluesky account {user!r}")
        scope = session.SCOPE_APP_PASS if body.get("app_password", True) else session.SCOPE_ACCESS
        access_life = body.get("expires_in")
        refresh_life = body.get("refresh_expires_in")
        access, refresh = session.issue_session(
            bs,
            account,
            scope,
            sandbox.now(),
            client="control-api",
            access_lifetime=None if access_life is None else float(access_life),
            refresh_lifetime=None if refresh_life is None else float(refresh_life),
        )
        result = session.session_json(account, access, refresh, None)
        result["scope"] = scope
        return result

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        return new_accounts.add_account(_bs(sandbox), body)

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        account = _bs(sandbox).account(post_id)
        if account is not None:  # the profile's counts
            update_figures(account.figures, metrics, PROFILE_FIGURES)
            return {"did": account.did, "metrics": read_figures(account.figures, PROFILE_FIGURES)}
        record = _bs(sandbox).find_post(post_id)
        if record is None:
            raise LookupError(f"unknown post {post_id!r} (use its at:// uri or rkey)")
        for name, value in metrics.items():
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; use {list(METRICS)}")
            record.metrics[name] = int(value)
        return {"uri": record.uri, "metrics": dict(record.metrics)}

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        config = _bs(sandbox).config
        for key, value in changes.items():
            if key.startswith("_") or not hasattr(config, key):
                raise ValueError(f"unknown Bluesky setting {key!r}")
            current = getattr(config, key)
            if key == "duplicate_rkey":
                if value not in DUPLICATE_RKEY_MODES:
                    raise ValueError(f"duplicate_rkey must be one of {DUPLICATE_RKEY_MODES}")
                config.duplicate_rkey = str(value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                setattr(config, key, value)
            else:
                setattr(config, key, type(current)(value))
        return config.to_json()

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        bs = _bs(sandbox)
        return {
            "base_path": self.prefix,
            "xrpc_path": f"{self.prefix}/xrpc/",
            "service_did": "did:web:pds.bsky.sandbox",
            "users": [
                {
                    "did": a.did,
                    "handle": a.handle,
                    "email": a.email,
                    "password": a.password,
                    "app_passwords": dict(a.app_passwords),
                    "display_name": a.display_name,
                }
                for a in bs.accounts.values()
            ],
            "config": bs.config.to_json(),
        }
