"""The Instagram emulator (Instagram API with Facebook Login), mounted at ``/instagram``.

It replaces ``graph.facebook.com`` for the IG endpoints, so it also answers the Facebook calls a
connector makes on the same host to find the account (``/me/accounts``,
``/{page-id}?fields=instagram_business_account``) and the Login endpoints; tokens are the Facebook
emulator's.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.common.figures import update_figures
from sandbox.common.network import Call, Endpoint
from sandbox.common.tokens import Token, TokenStore
from sandbox.facebook import api as fb_api
from sandbox.facebook import oauth as fb_oauth
from sandbox.facebook.network import meta_auth_error, meta_rate_limit
from sandbox.facebook.state import DEFAULT_SCOPES, FacebookState, IgSeed
from sandbox.instagram import api, new_accounts
from sandbox.instagram.account import ACCOUNT_FIELDS, ACCOUNT_METRICS
from sandbox.instagram.state import FIELD_COUNTS, MEDIA_METRICS, InstagramState
from sandbox.meta.graph import GraphNetwork, graph_error, set_config, throttled, token_value
from sandbox.meta.media import sample_file_routes
from sandbox.state import SandboxState

V = "/{version}"
BASIC = ("instagram_basic",)
PUBLISH = ("instagram_basic", "instagram_content_publish")


def _ig(sandbox: SandboxState) -> InstagramState:
    return sandbox.net("instagram", InstagramState)


def _fs(sandbox: SandboxState) -> FacebookState:
    return sandbox.net("facebook", FacebookState)


def _account_seed(sandbox: SandboxState, key: str) -> IgSeed | None:
    """An IG account by id or username."""
    for seed in _fs(sandbox).instagram.values():
        if key in (seed.id, seed.username):
            return seed
    return None


class InstagramNetwork(GraphNetwork):
    name = "instagram"

    def initial_state(self) -> InstagramState:
        return InstagramState()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/dialog/oauth", fb_oauth.dialog, auth="none"),
            Endpoint("POST", "/dialog/oauth", fb_oauth.decision, auth="none"),
            Endpoint("GET", f"{V}/dialog/oauth", fb_oauth.dialog, auth="none"),
            Endpoint("POST", f"{V}/dialog/oauth", fb_oauth.decision, auth="none"),
            Endpoint("GET", f"{V}/oauth/access_token", fb_oauth.access_token, auth="none"),
            Endpoint("POST", f"{V}/oauth/access_token", fb_oauth.access_token, auth="none"),
            Endpoint("GET", f"{V}/{{id}}/accounts", fb_api.accounts, scopes=("pages_show_list",)),
            Endpoint("POST", f"{V}/{{id}}/media", api.create_container, scopes=PUBLISH),
            Endpoint("GET", f"{V}/{{id}}/media", api.list_media, scopes=BASIC),
            Endpoint(
                "POST", f"{V}/{{id}}/media_publish", api.publish, scopes=PUBLISH, creates=True
            ),
            Endpoint(
                "GET", f"{V}/{{id}}/content_publishing_limit", api.publishing_limit, scopes=BASIC
            ),
            Endpoint(
                "GET", f"{V}/{{id}}/insights", api.insights, scopes=("instagram_manage_insights",)
            ),
            Endpoint("GET", f"{V}/{{id}}", api.get_node),
            Endpoint("DELETE", f"{V}/{{id}}", api.delete_node),
        ]

    def extra_routes(self) -> list[BaseRoute]:
        return sample_file_routes()

    # --- auth (Facebook Login tokens) --------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _fs(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        return _fs(sandbox).tokens.get(token_value(request))

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        fs = _fs(sandbox)
        if user_id in fs.users:
            return fs.users[user_id].username
        page = fs.pages.get(user_id)
        return page.name if page else None

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        return meta_auth_error(sandbox, call, token)

    def scope_error(self, call: Call) -> Response:
        return graph_error("(#10) Application does not have permission for this action", 10)

    # --- misbehaviour ------------------------------------------------------------------------
    def rate_limited(self, call: Call) -> Response:
        code = int(getattr(call.request.state, "throttle_code", 4))
        return throttled(code, _fs(call.sandbox).config.throttle_status)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        return meta_rate_limit(call, burst, _fs(call.sandbox), "instagram")

    # --- control API -------------------------------------------------------------------------
    def _account(self, sandbox: SandboxState, name: str) -> Any:
        fs = _fs(sandbox)
        wanted = name.lstrip("@").lower()
        for seed in fs.instagram.values():
            if wanted in (seed.id, seed.username.lower()):
                return seed
        raise LookupError(f"unknown Instagram account {name!r}")

    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        fs = _fs(sandbox)
        seed = self._account(sandbox, str(body.get("user", "cuecast_demo_ig")))
        page = fs.pages[seed.page_id]
        scopes = fb_oauth.split_scopes(str(body.get("scope", ""))) or DEFAULT_SCOPES
        now = sandbox.now()
        pages = tuple(p.id for p in fs.user_pages(page.owner_id))
        user_token = fb_oauth.issue_user_token(fs, page.owner_id, scopes, pages, now, True)
        page_tok = fb_oauth.page_token(fs, user_token, page, now)
        return {
            "ig_user_id": seed.id,
            "username": seed.username,
            "page_id": page.id,
            "facebook_user_id": page.owner_id,
            "access_token": user_token.value,
            "token_type": "bearer",
            "expires_in": int(fs.config.long_token_lifetime),
            "user_access_token": user_token.value,
            "page_access_token": page_tok.value,
            "scope": ",".join(scopes),
        }

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        return new_accounts.add_account(_fs(sandbox), body)

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        seed = _account_seed(sandbox, post_id)
        if seed is not None:  # the account's counts and day insights
            update_figures(seed.figures, metrics, ACCOUNT_FIELDS + tuple(ACCOUNT_METRICS))
            return {"id": seed.id, "metrics": dict(seed.figures)}
        media = _ig(sandbox).media.get(post_id)
        if media is None:
            raise LookupError(f"unknown Instagram media {post_id!r}")
        for name, value in metrics.items():
            if name not in MEDIA_METRICS and name not in FIELD_COUNTS:
                raise ValueError(
                    f"unknown metric {name!r}; use {list(MEDIA_METRICS) + list(FIELD_COUNTS)}"
                )
            media.metrics[name] = int(value)
        return {"id": media.id, "metrics": dict(media.metrics)}

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        ig = _ig(sandbox)
        changes = dict(changes)
        usage = changes.pop("quota_usage", None)
        exhaust = changes.pop("exhaust_quota", None)
        if "republish" in changes and changes["republish"] not in ("error", "return_existing"):
            raise ValueError("republish must be 'error' or 'return_existing'")
        set_config(ig.config, changes, "Instagram")
        now = sandbox.now()
        if usage is not None:
            if not isinstance(usage, dict):
                raise ValueError("quota_usage must map an account (username or id) to a number")
            for name, count in usage.items():
                ig.quota.set_usage(self._account(sandbox, str(name)).id, now, int(count))
        if exhaust:
            ig.quota.set_usage(self._account(sandbox, str(exhaust)).id, now, ig.config.quota_total)
        result = ig.config.to_json()
        result["quota_usage"] = {
            seed.username: ig.quota.usage(seed.id, now, ig.config.quota_duration)
            for seed in _fs(sandbox).instagram.values()
        }
        return result

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        fs = _fs(sandbox)
        return {
            "base_path": self.prefix,
            "graph_base": f"{self.prefix}/v21.0",
            "login": "Facebook Login (tokens from the facebook emulator work here)",
            "authorize_path": f"{self.prefix}/dialog/oauth",
            "token_path": f"{self.prefix}/v21.0/oauth/access_token",
            "accounts": [
                {"id": s.id, "username": s.username, "page_id": s.page_id}
                for s in fs.instagram.values()
            ],
            "config": _ig(sandbox).config.to_json(),
        }
