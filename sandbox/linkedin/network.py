"""The LinkedIn emulator (Community Management / Posts API, OAuth 2.0), mounted at ``/linkedin``.

``{base}/linkedin`` stands in for both ``https://api.linkedin.com`` (``/rest/*``, ``/v2/userinfo``)
and ``https://www.linkedin.com`` (``/oauth/v2/*``).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.common.figures import read_figures, update_figures
from sandbox.common.network import Call, Endpoint, Network, bearer
from sandbox.common.tokens import Token, TokenStore
from sandbox.linkedin import ads, api, errors, followers, new_accounts, oauth
from sandbox.linkedin.state import (
    METRICS,
    PARTNER_CLIENT_ID,
    LinkedInState,
    seeded_state,
)
from sandbox.state import SandboxState

ORG_READ = (
    "r_organization_social",
    "w_organization_social",
    "rw_organization_admin",
    "r_organization_admin",
)
POST_WRITE = ("w_member_social", "w_organization_social")
POST_READ = ("r_member_social", "r_organization_social", "w_organization_social")
DEFAULT_SCOPE = (
    "openid profile email w_member_social w_organization_social r_organization_social "
    "rw_organization_admin r_ads r_ads_reporting"
)
ADS_READ = ("r_ads", "rw_ads")
ADS_REPORTING = ("r_ads_reporting",)
VERSION_RE = re.compile(r"^([0-9]{6})(?:\.[0-9]{2})?$")


def _li(sandbox: SandboxState) -> LinkedInState:
    return sandbox.net("linkedin", LinkedInState)


class LinkedInNetwork(Network):
    name = "linkedin"

    def initial_state(self) -> LinkedInState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/oauth/v2/authorization", oauth.authorize_page, auth="none"),
            Endpoint("POST", "/oauth/v2/authorization", oauth.authorize_decision, auth="none"),
            Endpoint("POST", "/oauth/v2/accessToken", oauth.access_token, auth="none"),
            Endpoint("POST", "/oauth/v2/introspectToken", oauth.introspect, auth="none"),
            Endpoint("GET", "/v2/userinfo", api.userinfo),
            Endpoint("GET", "/rest/organizationAcls", api.organization_acls, scopes=ORG_READ),
            Endpoint("GET", "/rest/organizations/{id}", api.get_organization),
            Endpoint("POST", "/rest/posts", api.create_post, scopes=POST_WRITE, creates=True),
            Endpoint("GET", "/rest/posts", api.find_posts, scopes=POST_READ),
            Endpoint("GET", "/rest/posts/{urn}", api.get_post, scopes=POST_READ),
            Endpoint("DELETE", "/rest/posts/{urn}", api.delete_post, scopes=POST_WRITE),
            Endpoint("POST", "/rest/images", api.images_action, scopes=POST_WRITE),
            Endpoint("GET", "/rest/images/{urn}", api.get_image, scopes=POST_WRITE + POST_READ),
            Endpoint("PUT", "/dms-uploads/{image_id}", api.upload_image, auth="none"),
            Endpoint("GET", "/media/images/{image_id}", api.download_image, auth="none"),
            Endpoint(
                "GET",
                "/rest/organizationalEntityShareStatistics",
                api.share_statistics,
                scopes=("rw_organization_admin",),
            ),
            Endpoint("GET", "/rest/socialActions/{urn}", api.social_actions, scopes=POST_READ),
            Endpoint("GET", "/rest/networkSizes/{urn}", followers.network_size),
            # Marketing API (ads.py)
            Endpoint("GET", "/rest/adAccountUsers", ads.ad_account_users, scopes=ADS_READ),
            Endpoint("GET", "/rest/adAccounts", ads.search_accounts, scopes=ADS_READ),
            Endpoint("GET", "/rest/adAccounts/{id}", ads.get_account, scopes=ADS_READ),
            Endpoint(
                "GET", "/rest/adAccounts/{id}/adCampaigns", ads.search_campaigns, scopes=ADS_READ
            ),
            Endpoint(
                "GET",
                "/rest/adAccounts/{id}/adCampaigns/{campaign}",
                ads.get_campaign,
                scopes=ADS_READ,
            ),
            Endpoint("GET", "/rest/adAnalytics", ads.ad_analytics, scopes=ADS_REPORTING),
        ]

    # --- versioned headers: checked before authentication ------------------------------------
    def version_problem(self, sandbox: SandboxState, request: Request) -> Response | None:
        raw = request.headers.get("linkedin-version")
        if raw is None or not raw.strip():
            return errors.version_missing()
        raw = raw.strip()
        match = VERSION_RE.match(raw)
        cfg = _li(sandbox).config
        requested = f"{match.group(1)}01" if match else raw
        if match is None or not cfg.oldest_version <= match.group(1) <= cfg.latest_version:
            return errors.version_inactive(requested)
        if request.headers.get("x-restli-protocol-version", "").strip() != "2.0.0":
            return errors.protocol_missing()
        return None

    async def _answer(self, call: Call, token: Token | None, kind: str | None) -> Response:
        if call.endpoint.template.startswith("/rest/") and kind != "error_5xx":
            with call.sandbox.lock:
                problem = self.version_problem(call.sandbox, call.request)
            if problem is not None:
                return problem
        return await super()._answer(call, token, kind)

    # --- auth --------------------------------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _li(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        return _li(sandbox).tokens.get(bearer(request))

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        member = _li(sandbox).members.get(user_id)
        return member.username if member else None

    def has_scopes(self, token: Token, needed: tuple[str, ...]) -> bool:
        """Any one of the endpoint's scopes will do; handlers check the exact one they need."""
        return any(scope in token.scopes for scope in needed)

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        if token is None:
            if bearer(call.request) is None:
                return errors.empty_token()
            return errors.invalid_token()
        if token.revoked:
            return errors.revoked_token()
        if token.expired(sandbox.now()):
            return errors.expired_token()
        return errors.invalid_token()

    def scope_error(self, call: Call) -> Response:
        ep = call.endpoint
        resource = ep.template.split("/")[2] if ep.template.startswith("/rest/") else "userinfo"
        resource = {"posts": "partnerApiPostsExternal"}.get(resource, resource)
        method = {"POST": "CREATE"}.get(ep.method, ep.method)
        return errors.access_denied(f"{resource}.{method}.{api.version_tag(call)}")

    # --- misbehaviour ------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        return errors.server_error(status)

    def rate_limited(self, call: Call) -> Response:
        return errors.too_many_requests()

    def rate_limit(self, call: Call, burst: bool) -> bool:
        """Daily per-endpoint counters per application and per member, reset at 00:00 UTC."""
        if call.endpoint.auth == "none" and not burst:
            return False
        li = _li(call.sandbox)
        cfg = li.config
        name = call.endpoint.name
        now = call.now
        buckets: list[tuple[tuple[str, ...], int]] = []
        if call.principal is not None:
            client = call.principal.token.client_id
            buckets.append(
                (("app", name, client), cfg.app_daily_limits.get(name, cfg.default_app_daily_limit))
            )
            if call.principal.user_id is not None:
                member_limit = cfg.member_daily_limits.get(name, cfg.default_member_daily_limit)
                buckets.append((("member", name, client, call.principal.user_id), member_limit))
        else:
            buckets.append((("app", name, "?"), cfg.default_app_daily_limit))
        if burst:
            key, limit = buckets[-1]
            li.limiter.exhaust(key, limit, cfg.rate_window_seconds, now, aligned=True)
        # no headers: LinkedIn publishes nothing about remaining calls
        window = cfg.rate_window_seconds
        results = [li.limiter.hit(key, limit, window, now, aligned=True) for key, limit in buckets]
        return any(r.exceeded for r in results)

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        li = _li(sandbox)
        member = li.member(str(body.get("user", "demo")))
        if member is None:
            raise LookupError(f"unknown LinkedIn member {body.get('user')!r}")
        client = li.clients.get(str(body.get("client_id", PARTNER_CLIENT_ID)))
        if client is None:
            raise LookupError(f"unknown LinkedIn client {body.get('client_id')!r}")
        scopes = oauth.split_scopes(str(body.get("scope", DEFAULT_SCOPE)))
        unknown = [s for s in scopes if s not in oauth.KNOWN_SCOPES]
        if unknown:
            raise ValueError(f"unknown LinkedIn scope {unknown[0]!r}")
        lifetime = body.get("expires_in")
        result = oauth.issue(
            li,
            client,
            member,
            scopes,
            sandbox.now(),
            None if lifetime is None else float(lifetime),
        )
        result.update(
            {
                "member_urn": member.urn,
                "person_id": member.id,
                "username": member.username,
                "client_id": client.client_id,
                "organizations": li.admin_urns(member),
                "ad_accounts": ads.member_ad_accounts(li.ads, member.urn),
            }
        )
        return result

    def add_account(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        return new_accounts.add_account(_li(sandbox), body)

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        if ads.campaign_id(post_id) in _li(sandbox).ads.campaigns:  # daily adAnalytics rows
            return ads.set_daily_metrics(_li(sandbox).ads, post_id, metrics)
        org = _li(sandbox).org_by_urn(post_id) or _li(sandbox).organizations.get(post_id)
        if org is not None:  # the page's follower count
            update_figures(org.figures, metrics, followers.FIGURES)
            return {"id": org.urn, "metrics": read_figures(org.figures, followers.FIGURES)}
        post = _li(sandbox).posts.get(post_id)
        if post is None:
            raise LookupError(f"unknown post {post_id!r} (use the URN from x-restli-id)")
        for name, value in metrics.items():
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; use {list(METRICS)}")
            post.metrics[name] = float(value) if name == "engagement" else int(value)
        return {"id": post.urn, "metrics": dict(post.metrics)}

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        config = _li(sandbox).config
        changes = dict(changes)
        campaigns = changes.pop("ad_campaigns", None)
        for key, value in changes.items():
            if key in ("member_daily_limits", "app_daily_limits"):
                if not isinstance(value, dict):
                    raise ValueError(f"{key} must map 'METHOD /path' to a number")
                getattr(config, key).update({str(k): int(v) for k, v in value.items()})
            elif key in ("oldest_version", "latest_version"):
                if not re.fullmatch(r"[0-9]{6}", str(value)):
                    raise ValueError(f"{key} must be YYYYMM")
                setattr(config, key, str(value))
            elif key == "duplicates_include_deleted":
                config.duplicates_include_deleted = bool(value)
            elif key in (
                "access_token_lifetime",
                "refresh_token_lifetime",
                "max_commentary_length",
                "max_multi_images",
                "default_member_daily_limit",
                "default_app_daily_limit",
                "analytics_max_fields",
                "analytics_max_elements",
                "rate_window_seconds",
            ):
                setattr(config, key, int(value))
            elif key in ("duplicate_window_seconds", "image_processing_seconds"):
                setattr(config, key, float(value))
            else:
                raise ValueError(f"unknown LinkedIn setting {key!r}")
        result = config.to_json()
        if campaigns is not None:
            li = _li(sandbox)
            result["ad_campaigns"] = ads.change_campaigns(li.ads, campaigns, sandbox.now())
        return result

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        li = _li(sandbox)
        return {
            "base_path": self.prefix,
            "authorize_path": f"{self.prefix}/oauth/v2/authorization",
            "token_path": f"{self.prefix}/oauth/v2/accessToken",
            "clients": [
                {
                    "client_id": c.client_id,
                    "client_secret": c.client_secret,
                    "refresh_tokens": c.refresh_tokens,
                }
                for c in li.clients.values()
            ],
            "members": [
                {
                    "urn": m.urn,
                    "username": m.username,
                    "name": m.name,
                    "admin_of": li.admin_urns(m),
                }
                for m in li.members.values()
            ],
            "organizations": [
                {"urn": o.urn, "name": o.name, "vanity_name": o.vanity_name}
                for o in li.organizations.values()
            ],
            "ad_accounts": [
                {**ads.account_json(a), "urn": a.urn, "roles": dict(a.roles)}
                for a in li.ads.accounts.values()
            ],
            "config": li.config.to_json(),
        }
