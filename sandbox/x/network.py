"""The X emulator (API v2, OAuth 2.0 user context), mounted at ``/x``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.common.figures import read_figures, update_figures
from sandbox.common.network import Call, Endpoint, Network, bearer
from sandbox.common.tokens import Token, TokenStore
from sandbox.state import SandboxState
from sandbox.x import api, errors, media, new_accounts, oauth
from sandbox.x.state import (
    CLIENT_ID,
    CLIENT_SECRET,
    NON_PUBLIC_METRICS,
    PUBLIC_METRICS,
    USER_METRICS,
    XState,
    seeded_state,
)

READ = ("tweet.read", "users.read")
WRITE = ("tweet.read", "tweet.write", "users.read")
MEDIA = ("media.write",)  # x-openapi.json: OAuth2UserToken ["media.write"] on every media path
TIERS = ("unenrolled", "v1_subset", "usage_capped")
DEFAULT_SCOPE = "tweet.read tweet.write users.read offline.access media.write"
PROCESSING_RESULTS = ("succeeded", "failed")


def _x(sandbox: SandboxState) -> XState:
    return sandbox.net("x", XState)


class XNetwork(Network):
    name = "x"
    tiers = TIERS

    def initial_state(self) -> XState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/i/oauth2/authorize", oauth.authorize_page, auth="none"),
            Endpoint("POST", "/i/oauth2/authorize", oauth.authorize_decision, auth="none"),
            Endpoint("POST", "/2/oauth2/token", oauth.token, auth="none"),
            Endpoint("POST", "/2/oauth2/revoke", oauth.revoke, auth="none"),
            Endpoint("GET", "/2/users/me", api.users_me, scopes=("users.read",)),
            Endpoint("POST", "/2/tweets", api.create_tweet, scopes=WRITE, creates=True),
            Endpoint("GET", "/2/tweets", api.get_tweets, scopes=READ),
            Endpoint("GET", "/2/tweets/{id}", api.get_tweet, scopes=READ),
            Endpoint("DELETE", "/2/tweets/{id}", api.delete_tweet, scopes=WRITE),
            Endpoint("GET", "/2/users/{id}/tweets", api.user_tweets, scopes=READ),
            Endpoint("POST", "/2/media/upload", media.simple_upload, scopes=MEDIA),
            Endpoint("GET", "/2/media/upload", media.status, scopes=MEDIA),
            Endpoint("POST", "/2/media/upload/initialize", media.initialize, scopes=MEDIA),
            Endpoint("POST", "/2/media/upload/{id}/append", media.append, scopes=MEDIA),
            Endpoint("POST", "/2/media/upload/{id}/finalize", media.finalize, scopes=MEDIA),
            Endpoint("POST", "/2/media/metadata", media.metadata, scopes=MEDIA),
        ]

    # --- auth --------------------------------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _x(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        return _x(sandbox).tokens.get(bearer(request))

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        user = _x(sandbox).users.get(user_id)
        return user.username if user else None

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        return errors.unauthorized()

    def scope_error(self, call: Call) -> Response:
        return errors.forbidden("Missing required scope for this endpoint.")

    # --- misbehaviour ------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        return errors.server_error(status)

    def rate_limited(self, call: Call) -> Response:
        return errors.too_many_requests()

    def current_tier(self, sandbox: SandboxState) -> str | None:
        return _x(sandbox).config.tier

    def tier_error(self, call: Call, tier: str) -> Response | None:
        if call.endpoint.auth == "none":
            return None  # OAuth itself keeps working
        client_id = call.principal.token.client_id if call.principal else CLIENT_ID
        return errors.tier_error(tier, client_id)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        xs = _x(call.sandbox)
        limit = xs.config.limits.get(call.endpoint.name)
        if limit is None:
            return False
        if call.principal is not None:
            who = call.principal.user_id or f"app:{call.principal.token.client_id}"
        else:
            who = f"ip:{call.request.client.host if call.request.client else '?'}"
        key = (call.endpoint.name, who)
        now = call.now
        window = xs.config.rate_window_seconds
        if burst:
            xs.limiter.exhaust(key, limit, window, now, aligned=False)
        result = xs.limiter.hit(key, limit, window, now)
        call.headers["x-rate-limit-limit"] = str(result.limit)
        call.headers["x-rate-limit-remaining"] = str(result.remaining)
        call.headers["x-rate-limit-reset"] = str(int(result.reset_at))
        return result.exceeded

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        xs = _x(sandbox)
        user = xs.user_by_name(str(body.get("user", "cuecast_demo")))
        if user is None:
            raise LookupError(f"unknown X user {body.get('user')!r}")
        scopes = tuple(str(body.get("scope", DEFAULT_SCOPE)).split())
        client_id = str(body.get("client_id", CLIENT_ID))
        if client_id not in xs.clients:
            raise LookupError(f"unknown X client {client_id!r}")
        lifetime = body.get("expires_in")
        access, refresh = oauth.issue_pair(
            xs,
            client_id,
            user.id,
            scopes,
            sandbox.now(),
            lifetime=None if lifetime is None else float(lifetime),
        )
        result = oauth.token_response(xs, access, refresh)
        if lifetime is not None:
            result["expires_in"] = int(float(lifetime))
        result.update({"user_id": user.id, "username": user.username, "client_id": client_id})
        return result

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        return new_accounts.add_account(_x(sandbox), body)

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        user = _x(sandbox).users.get(post_id) or _x(sandbox).user_by_name(post_id)
        if user is not None:  # the account's public_metrics
            update_figures(user.figures, metrics, USER_METRICS)
            return {"id": user.id, "metrics": read_figures(user.figures, USER_METRICS)}
        tweet = _x(sandbox).tweets.get(post_id)
        if tweet is None:
            raise LookupError(f"unknown post {post_id!r}")
        allowed = set(PUBLIC_METRICS) | set(NON_PUBLIC_METRICS) | {"repost_count"}
        for name, value in metrics.items():
            if name not in allowed:
                raise ValueError(f"unknown metric {name!r}; use {sorted(allowed)}")
            tweet.metrics["retweet_count" if name == "repost_count" else name] = int(value)
        return {"id": tweet.id, "metrics": dict(tweet.metrics)}

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        config = _x(sandbox).config
        for key, value in changes.items():
            if key == "limits":
                if not isinstance(value, dict):
                    raise ValueError("limits must map 'METHOD /path' to a number")
                config.limits.update({str(k): int(v) for k, v in value.items()})
            elif key == "tier":
                if value not in (None, "", "free", "basic", "pro", *TIERS):
                    raise ValueError(f"tier must be null or one of {', '.join(TIERS)}")
                config.tier = value if value in TIERS else None
            elif key in (
                "tweets_user_24h",
                "tweets_app_24h",
                "max_weighted_length",
                "access_token_lifetime",
            ):
                setattr(config, key, int(value))
            elif key in ("duplicate_window_seconds", "rate_window_seconds"):
                setattr(config, key, float(value))
            elif key == "media_expires_after_secs":
                config.media_expires_after_secs = int(value)
            elif key in ("media_pending_seconds", "media_processing_seconds"):
                setattr(config, key, float(value))
            elif key == "media_processing_result":
                if value not in PROCESSING_RESULTS:
                    raise ValueError(f"media_processing_result must be one of {PROCESSING_RESULTS}")
                config.media_processing_result = str(value)
            else:
                raise ValueError(f"unknown X setting {key!r}")
        return config.to_json()

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        xs = _x(sandbox)
        return {
            "base_path": self.prefix,
            "authorize_path": f"{self.prefix}/i/oauth2/authorize",
            "token_path": f"{self.prefix}/2/oauth2/token",
            "clients": [
                {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "type": "confidential"}
            ],
            "users": [
                {"id": u.id, "username": u.username, "name": u.name} for u in xs.users.values()
            ],
            "config": xs.config.to_json(),
        }
