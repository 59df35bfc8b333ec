"""The Facebook emulator (Graph API for Pages, Facebook Login), mounted at ``/facebook``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.common.figures import update_figures
from sandbox.common.network import Call, Endpoint
from sandbox.common.tokens import Token, TokenStore
from sandbox.facebook import ads, ads_control, api, new_accounts, oauth
from sandbox.facebook.state import (
    APP_ID,
    APP_SECRET,
    DEFAULT_SCOPES,
    OBJECT_COUNTS,
    PAGE_COUNTS,
    PAGE_METRICS,
    POST_METRICS,
    FacebookState,
    seeded_state,
)
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

V = "/{version}"
PUBLISH = ("pages_manage_posts",)
READ = ("pages_show_list",)


def _fs(sandbox: SandboxState) -> FacebookState:
    return sandbox.net("facebook", FacebookState)


def meta_rate_limit(call: Call, burst: bool, fs: FacebookState, buc_kind: str) -> bool:
    """Usage counting shared by the Facebook and Instagram emulators (both use Facebook tokens)."""
    if call.principal is None:
        if not burst:
            return False
        call.request.state.throttle_code = fs.config.throttle_code or 4
        return count_usage(call, fs.usage, fs.config.usage(), f"app:{APP_ID}", None, True)
    info = fs.token_info.get(call.principal.token.value)
    buc = None
    code = 17
    if info is not None and info.kind == "page" and info.page_id:
        buc = (info.page_id, buc_kind)
        code = 32
    if buc_kind == "instagram":
        ig_id = call.request.path_params.get("id")
        if isinstance(ig_id, str) and ig_id in fs.instagram:
            buc = (ig_id, "instagram")
        code = 80002 if buc else code
    call.request.state.throttle_code = fs.config.throttle_code or code
    who = call.principal.user_id or "?"
    return count_usage(call, fs.usage, fs.config.usage(), who, buc, burst)


def meta_auth_error(sandbox: SandboxState, call: Call, token: Token | None) -> Response:
    fs = _fs(sandbox)
    if token is None and not token_value(call.request):
        return missing_token()
    return token_error(token, sandbox.now(), fs.config.revoke_subcode, APP_ID)


class FacebookNetwork(GraphNetwork):
    name = "facebook"

    def initial_state(self) -> FacebookState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/dialog/oauth", oauth.dialog, auth="none"),
            Endpoint("POST", "/dialog/oauth", oauth.decision, auth="none"),
            Endpoint("GET", f"{V}/dialog/oauth", oauth.dialog, auth="none"),
            Endpoint("POST", f"{V}/dialog/oauth", oauth.decision, auth="none"),
            Endpoint("GET", f"{V}/oauth/access_token", oauth.access_token, auth="none"),
            Endpoint("POST", f"{V}/oauth/access_token", oauth.access_token, auth="none"),
            Endpoint("GET", "/oauth/access_token", oauth.access_token, auth="none"),
            # Marketing API (ads.py); before the generic /{id} routes
            Endpoint("GET", f"{V}/{{id}}/adaccounts", ads.adaccounts),
            Endpoint("GET", f"{V}/act_{{account}}", ads.get_account),
            Endpoint("GET", f"{V}/act_{{account}}/campaigns", ads.campaigns),
            Endpoint("GET", f"{V}/act_{{account}}/adsets", ads.account_adsets),
            Endpoint("GET", f"{V}/act_{{account}}/insights", ads.account_insights),
            Endpoint("POST", f"{V}/act_{{account}}/insights", ads.create_report_run),
            Endpoint("GET", f"{V}/{{id}}/adsets", ads.campaign_adsets),
            Endpoint("GET", f"{V}/{{id}}/accounts", api.accounts, scopes=READ),
            Endpoint("POST", f"{V}/{{id}}/feed", api.create_feed, scopes=PUBLISH, creates=True),
            Endpoint("GET", f"{V}/{{id}}/feed", api.list_posts),
            Endpoint("GET", f"{V}/{{id}}/posts", api.list_posts),
            Endpoint("GET", f"{V}/{{id}}/published_posts", api.list_posts),
            Endpoint("POST", f"{V}/{{id}}/photos", api.create_photo, scopes=PUBLISH, creates=True),
            # post insights need read_insights; report runs and campaigns need an ads scope
            Endpoint("GET", f"{V}/{{id}}/insights", ads.insights_or(api.insights, "read_insights")),
            Endpoint("GET", f"{V}/{{id}}", ads.get_object_or(api.get_object)),
            Endpoint("DELETE", f"{V}/{{id}}", api.delete_object, scopes=PUBLISH),
        ]

    def extra_routes(self) -> list[BaseRoute]:
        return sample_file_routes()

    # --- auth --------------------------------------------------------------------------------
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
        template = call.endpoint.template
        if template.endswith("/insights"):
            return graph_error("(#10) Application does not have permission for this action", 10)
        if call.endpoint.method in ("POST", "DELETE"):
            return graph_error(
                "(#200) If posting to a page, requires both pages_read_engagement and "
                "pages_manage_posts as an admin with sufficient administrative permission",
                200,
            )
        return graph_error("(#200) Requires pages_show_list permission to manage the object", 200)

    # --- misbehaviour ------------------------------------------------------------------------
    def rate_limited(self, call: Call) -> Response:
        if getattr(call.request.state, "ads_throttle", None) is not None:
            return ads.throttled(call)
        code = int(getattr(call.request.state, "throttle_code", 4))
        return throttled(code, _fs(call.sandbox).config.throttle_status)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        if call.principal is not None and ads.is_ads_call(call):
            return ads.rate_limit(call, burst)
        return meta_rate_limit(call, burst, _fs(call.sandbox), "pages")

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        fs = _fs(sandbox)
        user = fs.user_by_name(str(body.get("user", "cuecast_demo")))
        if user is None:
            raise LookupError(f"unknown Facebook user {body.get('user')!r}")
        pages = fs.user_pages(user.id)
        if body.get("page"):
            page = fs.page_by_name(str(body["page"]))
            if page is None or page.owner_id != user.id:
                raise LookupError(f"{user.username} has no Page {body['page']!r}")
        else:
            page = pages[0]
        scopes = oauth.split_scopes(str(body.get("scope", ""))) or DEFAULT_SCOPES
        now = sandbox.now()
        user_token = oauth.issue_user_token(
            fs, user.id, scopes, tuple(p.id for p in pages), now, long_lived=True
        )
        page_tokens = {p.id: oauth.page_token(fs, user_token, p, now) for p in pages}
        return {
            "user_id": user.id,
            "username": user.username,
            "user_access_token": user_token.value,
            "token_type": "bearer",
            "expires_in": int(fs.config.long_token_lifetime),
            "scope": ",".join(scopes),
            "page_id": page.id,
            "page_name": page.name,
            "page_access_token": page_tokens[page.id].value,
            "access_token": page_tokens[page.id].value,
            "instagram_business_account": page.instagram_business_account,
            "ad_accounts": ads_control.user_ad_accounts(fs.ads, user.id),
            "pages": [
                {
                    "id": p.id,
                    "name": p.name,
                    "access_token": page_tokens[p.id].value,
                    "instagram_business_account": p.instagram_business_account,
                }
                for p in pages
            ],
        }

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        return new_accounts.add_account(_fs(sandbox), body)

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        if post_id in _fs(sandbox).ads.campaigns:  # an ad campaign: daily insights rows
            return ads_control.set_daily_metrics(_fs(sandbox).ads, post_id, metrics)
        page = _fs(sandbox).pages.get(post_id)
        if page is not None:  # the Page's counts and day insights
            update_figures(page.figures, metrics, PAGE_COUNTS + tuple(PAGE_METRICS))
            return {"id": page.id, "metrics": dict(page.figures)}
        post = _fs(sandbox).posts.get(post_id)
        if post is None:
            raise LookupError(f"unknown Facebook post {post_id!r}")
        for name, value in metrics.items():
            if name in POST_METRICS:
                post.metrics[name] = value if isinstance(value, dict) else int(value)
            elif name in OBJECT_COUNTS:
                post.counts[name] = int(value)
            else:
                raise ValueError(
                    f"unknown metric {name!r}; use {sorted(POST_METRICS) + list(OBJECT_COUNTS)}"
                )
        return {"id": post.id, "metrics": dict(post.metrics), "counts": dict(post.counts)}

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        fs = _fs(sandbox)
        changes = dict(changes)
        campaigns = changes.pop("ad_campaigns", None)
        adsets = changes.pop("ad_sets", None)
        set_config(fs.config, changes, "Facebook")
        result = fs.config.to_json()
        now = sandbox.now()
        if campaigns is not None:
            result["ad_campaigns"] = ads_control.change_campaigns(fs.ads, campaigns, now)
        if adsets is not None:
            result["ad_sets"] = ads_control.change_adsets(fs.ads, adsets, now)
        return result

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        fs = _fs(sandbox)
        return {
            "base_path": self.prefix,
            "graph_base": f"{self.prefix}/v21.0",
            "authorize_path": f"{self.prefix}/dialog/oauth",
            "token_path": f"{self.prefix}/v21.0/oauth/access_token",
            "app": {"client_id": APP_ID, "client_secret": APP_SECRET},
            "users": [
                {"id": u.id, "username": u.username, "name": u.name} for u in fs.users.values()
            ],
            "pages": [
                {
                    "id": p.id,
                    "name": p.name,
                    "owner": fs.users[p.owner_id].username,
                    "instagram_business_account": p.instagram_business_account,
                }
                for p in fs.pages.values()
            ],
            "ad_accounts": [
                {
                    **ads_control.account_summary(a),
                    "users": [fs.users[u].username for u in a.users if u in fs.users],
                }
                for a in fs.ads.accounts.values()
            ],
            "config": fs.config.to_json(),
        }
