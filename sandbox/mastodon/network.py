"""The Mastodon instance emulator, mounted at ``/mastodon`` (the instance URL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.common.figures import read_figures, update_figures
from sandbox.common.network import Call, Endpoint, Network, bearer
from sandbox.common.tokens import Token, TokenStore
from sandbox.mastodon import api, new_accounts, oauth
from sandbox.mastodon.state import MastodonState, seeded_state
from sandbox.state import SandboxState

METRICS = ("replies_count", "reblogs_count", "favourites_count", "quotes_count")
ACCOUNT_FIGURES = ("followers_count", "following_count")
CONTROL_APP = "cuecast-sandbox"


def _ms(sandbox: SandboxState) -> MastodonState:
    return sandbox.net("mastodon", MastodonState)


def _reset_header(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


class MastodonNetwork(Network):
    name = "mastodon"

    def initial_state(self) -> MastodonState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("POST", "/api/v1/apps", oauth.create_app_endpoint, auth="none"),
            Endpoint("GET", "/oauth/authorize", oauth.authorize_page, auth="none"),
            Endpoint("POST", "/oauth/authorize", oauth.authorize_decision, auth="none"),
            Endpoint("POST", "/oauth/token", oauth.token, auth="none"),
            Endpoint("POST", "/oauth/revoke", oauth.revoke, auth="none"),
            Endpoint(
                "GET", "/.well-known/oauth-authorization-server", oauth.server_metadata, auth="none"
            ),
            Endpoint("GET", "/api/v2/instance", api.instance, auth="none"),
            Endpoint(
                "GET",
                "/api/v1/accounts/verify_credentials",
                api.verify_credentials,
                scopes=("read:accounts", "profile"),
            ),
            Endpoint(
                "GET",
                "/api/v1/accounts/{id}/statuses",
                api.account_statuses,
                auth="optional",
                scopes=("read:statuses",),
            ),
            Endpoint(
                "POST",
                "/api/v1/statuses",
                api.create_status,
                scopes=("write:statuses",),
                creates=True,
            ),
            Endpoint(
                "GET",
                "/api/v1/statuses/{id}",
                api.get_status,
                auth="optional",
                scopes=("read:statuses",),
            ),
            Endpoint(
                "DELETE", "/api/v1/statuses/{id}", api.delete_status, scopes=("write:statuses",)
            ),
            Endpoint("POST", "/api/v2/media", api.upload_media, scopes=("write:media",)),
            Endpoint("GET", "/api/v1/media/{id}", api.get_media, scopes=("write:media",)),
            Endpoint(
                "GET", "/system/media_attachments/{id}/{variant}", api.media_file, auth="none"
            ),
        ]

    # --- auth --------------------------------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _ms(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        return _ms(sandbox).tokens.get(bearer(request))

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        account = _ms(sandbox).accounts.get(user_id)
        return account.username if account else None

    def has_scopes(self, token: Token, needed: tuple[str, ...]) -> bool:
        return any(oauth.scope_grants(token.scopes, scope) for scope in needed)

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        now = sandbox.now()
        if token is not None and token.usable(now) and token.user_id is None:
            return JSONResponse({"error": "This method requires an authenticated user"}, 422)
        if token is not None and token.revoked:
            return JSONResponse({"error": "The access token was revoked"}, 401)
        if token is not None and token.expired(now):
            return JSONResponse({"error": "The access token expired"}, 401)
        return JSONResponse({"error": "The access token is invalid"}, 401)

    def scope_error(self, call: Call) -> Response:
        return JSONResponse({"error": "This action is outside the authorized scopes"}, 403)

    # --- misbehaviour ------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        messages = {
            500: "We're sorry, but something went wrong on our end.",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        return JSONResponse({"error": messages.get(status, "Server error")}, status)

    def rate_limited(self, call: Call) -> Response:
        return JSONResponse({"error": "Too many requests"}, 429)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        if call.endpoint.auth == "none" and not burst:
            return False
        cfg = _ms(call.sandbox).config
        limiter = _ms(call.sandbox).limiter
        if call.principal is not None:
            who = call.principal.user_id or f"app:{call.principal.token.client_id}"
        else:
            who = f"ip:{call.request.client.host if call.request.client else '?'}"
        buckets = [(("all", who), cfg.rate_limit, cfg.rate_period)]
        if call.endpoint.name == "POST /api/v2/media":
            buckets.append((("media", who), cfg.media_rate_limit, cfg.media_rate_period))
        if call.endpoint.name == "DELETE /api/v1/statuses/{id}":
            buckets.append((("delete", who), cfg.delete_rate_limit, cfg.delete_rate_period))
        now = call.now
        results = []
        for key, limit, period in buckets:
            if burst:
                limiter.exhaust(key, limit, period, now, aligned=True)
            results.append(limiter.hit(key, limit, period, now, aligned=True))
        tightest = min(results, key=lambda r: (not r.exceeded, r.remaining))
        call.headers["x-ratelimit-limit"] = str(tightest.limit)
        call.headers["x-ratelimit-remaining"] = str(tightest.remaining)
        call.headers["x-ratelimit-reset"] = _reset_header(tightest.reset_at)
        return any(r.exceeded for r in results)

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        ms = _ms(sandbox)
        account = ms.account_by_name(str(body.get("user", "demo")))
        if account is None:
            raise LookupError(f"unknown Mastodon account {body.get('user')!r}")
        scopes = tuple(str(body.get("scope", "read write")).split())
        client_id = str(body.get("client_id", CONTROL_APP))
        lifetime = body.get("expires_in")
        token = ms.tokens.issue(
            "access",
            client_id,
            account.id,
            scopes,
            sandbox.now(),
            None if lifetime is None else float(lifetime),
        )
        result = oauth.token_json(token)
        result.update({"user_id": account.id, "username": account.username})
        if lifetime is not None:
            result["expires_in"] = int(float(lifetime))
        return result

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        return new_accounts.add_account(_ms(sandbox), body)

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        account = _ms(sandbox).account_by_name(post_id)
        if account is not None:  # the account's counts
            update_figures(account.figures, metrics, ACCOUNT_FIGURES)
            return {"id": account.id, "metrics": read_figures(account.figures, ACCOUNT_FIGURES)}
        status = _ms(sandbox).statuses.get(post_id)
        if status is None:
            raise LookupError(f"unknown status {post_id!r}")
        for name, value in metrics.items():
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; use {list(METRICS)}")
            status.metrics[name] = int(value)
        return {"id": status.id, "metrics": dict(status.metrics)}

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        config = _ms(sandbox).config
        for key, value in changes.items():
            current = getattr(config, key, None)
            if current is None or key.startswith("_"):
                raise ValueError(f"unknown Mastodon setting {key!r}")
            setattr(config, key, type(current)(value))
        return config.to_json()

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        ms = _ms(sandbox)
        return {
            "base_path": self.prefix,
            "authorize_path": f"{self.prefix}/oauth/authorize",
            "token_path": f"{self.prefix}/oauth/token",
            "apps": "register with POST /api/v1/apps",
            "users": [
                {"id": a.id, "username": a.username, "display_name": a.display_name}
                for a in ms.accounts.values()
            ],
            "config": ms.config.to_json(),
        }
