"""The Threads emulator (graph.threads.net and threads.net/oauth), mounted at ``/threads``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.common.figures import update_figures
from sandbox.common.network import Call, Endpoint
from sandbox.common.tokens import Token, TokenStore
from sandbox.meta.graph import (
    GraphNetwork,
    count_usage,
    graph_error,
    missing_token,
    set_config,
    throttled,
    token_error,
    token_value,
)
from sandbox.meta.media import sample_file_routes
from sandbox.state import SandboxState
from sandbox.threads import api, new_accounts, oauth, user_insights
from sandbox.threads.state import (
    APP_ID,
    APP_SECRET,
    DEFAULT_SCOPES,
    MEDIA_METRICS,
    ThreadsState,
    seeded_state,
)

V = "/{version}"
BASIC = ("threads_basic",)
PUBLISH = ("threads_basic", "threads_content_publish")


def _ts(sandbox: SandboxState) -> ThreadsState:
    return sandbox.net("threads", ThreadsState)


class ThreadsNetwork(GraphNetwork):
    name = "threads"

    def initial_state(self) -> ThreadsState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/oauth/authorize", oauth.authorize_page, auth="none"),
            Endpoint("POST", "/oauth/authorize", oauth.authorize_decision, auth="none"),
            Endpoint("POST", "/oauth/access_token", oauth.code_exchange, auth="none"),
            Endpoint("GET", "/access_token", oauth.exchange, auth="none"),
            Endpoint("GET", f"{V}/access_token", oauth.exchange, auth="none"),
            Endpoint("GET", "/refresh_access_token", oauth.refresh, auth="none"),
            Endpoint("GET", f"{V}/refresh_access_token", oauth.refresh, auth="none"),
            Endpoint("POST", f"{V}/{{id}}/threads", api.create_container, scopes=PUBLISH),
            Endpoint("GET", f"{V}/{{id}}/threads", api.list_threads, scopes=BASIC),
            Endpoint(
                "POST", f"{V}/{{id}}/threads_publish", api.publish, scopes=PUBLISH, creates=True
            ),
            Endpoint(
                "GET", f"{V}/{{id}}/threads_publishing_limit", api.publishing_limit, scopes=BASIC
            ),
            Endpoint(
                "GET", f"{V}/{{id}}/insights", api.insights, scopes=("threads_manage_insights",)
            ),
            Endpoint(
                "GET",
                f"{V}/{{id}}/threads_insights",
                user_insights.user_insights,
                scopes=("threads_manage_insights",),
            ),
            Endpoint("GET", f"{V}/{{id}}", api.get_node, scopes=BASIC),
            Endpoint("DELETE", f"{V}/{{id}}", api.delete_node, scopes=("threads_delete",)),
        ]

    def extra_routes(self) -> list[BaseRoute]:
        return sample_file_routes()

    # --- auth --------------------------------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _ts(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        return _ts(sandbox).tokens.get(token_value(request))

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        user = _ts(sandbox).users.get(user_id)
        return user.username if user else None

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        if token is None and not token_value(call.request):
            return missing_token()
        return token_error(token, sandbox.now(), _ts(sandbox).config.revoke_subcode, APP_ID)

    def scope_error(self, call: Call) -> Response:
        return graph_error("(#10) Application does not have permission for this action", 10)

    # --- misbehaviour ------------------------------------------------------------------------
    def rate_limited(self, call: Call) -> Response:
        cfg = _ts(call.sandbox).config
        return throttled(cfg.throttle_code, cfg.throttle_status)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        ts = _ts(call.sandbox)
        if call.principal is None:
            if not burst:
                return False
            return count_usage(call, ts.usage, ts.config.usage(), f"app:{APP_ID}", None, True)
        who = call.principal.user_id or "?"
        return count_usage(call, ts.usage, ts.config.usage(), who, (who, "threads"), burst)

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        ts = _ts(sandbox)
        user = ts.user_by_name(str(body.get("user", "cuecast_demo")))
        if user is None:
            raise LookupError(f"unknown Threads user {body.get('user')!r}")
        scopes = oauth.split_scopes(str(body.get("scope", ""))) or DEFAULT_SCOPES
        now = sandbox.now()
        token = oauth.issue(ts, user.id, scopes, now, long_lived=True)
        lifetime = ts.config.long_token_lifetime
        if body.get("expires_in") is not None:
            lifetime = float(body["expires_in"])
            token.expires_at = now + lifetime
        if body.get("age") is not None:  # pretend the token was issued this many seconds ago
            token.created_at = now - float(body["age"])
        return {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_in": int(lifetime),
            "user_id": user.id,
            "username": user.username,
            "scope": ",".join(scopes),
        }

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        return new_accounts.add_account(_ts(sandbox), body)

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        user = _ts(sandbox).user_by_name(post_id)
        if user is not None:  # the user's insights
            update_figures(user.figures, metrics, user_insights.USER_METRICS)
            return {"id": user.id, "metrics": dict(user.figures)}
        media = _ts(sandbox).media.get(post_id)
        if media is None:
            raise LookupError(f"unknown Threads media {post_id!r}")
        for name, value in metrics.items():
            if name not in MEDIA_METRICS:
                raise ValueError(f"unknown metric {name!r}; use {list(MEDIA_METRICS)}")
            media.metrics[name] = int(value)
        return {"id": media.id, "metrics": dict(media.metrics)}

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        ts = _ts(sandbox)
        changes = dict(changes)
        now = sandbox.now()
        quotas = {
            "quota_usage": (ts.posts_quota, "quota_total"),
            "reply_quota_usage": (ts.replies_quota, "reply_quota_total"),
            "delete_quota_usage": (ts.deletes_quota, "delete_quota_total"),
        }
        usage_changes = {k: changes.pop(k) for k in list(changes) if k in quotas}
        exhaust = changes.pop("exhaust_quota", None)
        if "republish" in changes and changes["republish"] not in ("error", "return_existing"):
            raise ValueError("republish must be 'error' or 'return_existing'")
        set_config(ts.config, changes, "Threads")
        for key, value in usage_changes.items():
            if not isinstance(value, dict):
                raise ValueError(f"{key} must map a user (username or id) to a number")
            quota = quotas[key][0]
            for name, count in value.items():
                user = ts.user_by_name(str(name))
                if user is None:
                    raise ValueError(f"unknown Threads user {name!r}")
                quota.set_usage(user.id, now, int(count))
        if exhaust:
            spec = exhaust if isinstance(exhaust, dict) else {"user": exhaust}
            user = ts.user_by_name(str(spec.get("user", "")))
            if user is None:
                raise ValueError(f"unknown Threads user {spec.get('user')!r}")
            kind = str(spec.get("kind", "posts"))
            quota_key = {
                "posts": "quota_usage",
                "replies": "reply_quota_usage",
                "deletes": "delete_quota_usage",
            }.get(kind)
            if quota_key is None:
                raise ValueError("exhaust_quota kind must be posts, replies or deletes")
            quota, total_name = quotas[quota_key]
            quota.set_usage(user.id, now, int(getattr(ts.config, total_name)))
        result = ts.config.to_json()
        window = ts.config.quota_duration
        result["usage"] = {
            u.username: {
                "posts": ts.posts_quota.usage(u.id, now, window),
                "replies": ts.replies_quota.usage(u.id, now, window),
                "deletes": ts.deletes_quota.usage(u.id, now, window),
            }
            for u in ts.users.values()
        }
        return result

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        ts = _ts(sandbox)
        return {
            "base_path": self.prefix,
            "graph_base": f"{self.prefix}/v1.0",
            "authorize_path": f"{self.prefix}/oauth/authorize",
            "token_path": f"{self.prefix}/oauth/access_token",
            "long_lived_path": f"{self.prefix}/access_token",
            "refresh_path": f"{self.prefix}/refresh_access_token",
            "app": {"client_id": APP_ID, "client_secret": APP_SECRET},
            "users": [
                {"id": u.id, "username": u.username, "name": u.name} for u in ts.users.values()
            ],
            "config": ts.config.to_json(),
        }
