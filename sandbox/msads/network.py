"""The Microsoft Advertising emulator (Bing Ads API v13, REST/JSON), mounted at ``/msads``.

``{base}/msads/oauth`` stands in for ``https://login.microsoftonline.com/common/oauth2/v2.0``,
``{base}/msads/campaign`` for ``https://campaign.api.bingads.microsoft.com``,
``{base}/msads/reporting`` for ``https://reporting.api.bingads.microsoft.com`` and
``{base}/msads/clientcenter`` for ``https://clientcenter.api.bingads.microsoft.com``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.common.network import Call, Endpoint, Network, bearer
from sandbox.common.tokens import Token, TokenStore
from sandbox.msads import api, errors, oauth, reporting
from sandbox.msads.state import (
    AD_GROUP_STATUSES,
    BUDGET_TYPES,
    CAMPAIGN_STATUSES,
    CAMPAIGN_TYPES,
    CLIENT_ID,
    DEFAULT_SCOPE,
    DEVELOPER_TOKEN,
    MANAGE_SCOPE,
    TIME_ZONES,
    AdGroup,
    Campaign,
    DailyRow,
    MsadsState,
    seeded_state,
)
from sandbox.state import SandboxState

CM = "/campaign/CampaignManagement/v13"
CUSTOMER = "/clientcenter/CustomerManagement/v13"
REPORTING = "/reporting/Reporting/v13"
MANAGE = (MANAGE_SCOPE,)
WINDOW = 60.0

INT_SETTINGS = (
    "access_token_lifetime",
    "refresh_token_lifetime",
    "report_pending_polls",
    "download_url_lifetime",
    "report_request_lifetime",
    "max_concurrent_reports",
    "calls_per_minute",
)


def _ms(sandbox: SandboxState) -> MsadsState:
    return sandbox.net("msads", MsadsState)


def _day(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ValueError(f"{name} must be YYYY-MM-DD or null") from exc


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, float):
        raise ValueError(f"{name} must be a decimal string, not a float")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{name} must be a decimal string") from exc


def _choice(value: Any, allowed: tuple[str, ...], name: str) -> str:
    if str(value) not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


class MsadsNetwork(Network):
    name = "msads"

    def initial_state(self) -> MsadsState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("GET", "/oauth/authorize", oauth.authorize_page, auth="none"),
            Endpoint("POST", "/oauth/authorize", oauth.authorize_decision, auth="none"),
            Endpoint("POST", "/oauth/token", oauth.token, auth="none"),
            Endpoint(
                "POST", f"{CM}/Campaigns/QueryByAccountId", api.campaigns_by_account, scopes=MANAGE
            ),
            Endpoint("POST", f"{CM}/Campaigns/QueryByIds", api.campaigns_by_ids, scopes=MANAGE),
            Endpoint(
                "POST", f"{CM}/AdGroups/QueryByCampaignId", api.ad_groups_by_campaign, scopes=MANAGE
            ),
            Endpoint("POST", f"{REPORTING}/GenerateReport/Submit", reporting.submit, scopes=MANAGE),
            Endpoint("POST", f"{REPORTING}/GenerateReport/Poll", reporting.poll, scopes=MANAGE),
            Endpoint("GET", "/reporting/download/{token}", reporting.download, auth="none"),
            Endpoint("POST", f"{CUSTOMER}/User/Query", api.get_user, scopes=MANAGE),
            Endpoint("POST", f"{CUSTOMER}/AccountsInfo/Query", api.accounts_info, scopes=MANAGE),
            Endpoint("POST", f"{CUSTOMER}/Accounts/Search", api.search_accounts, scopes=MANAGE),
            Endpoint("POST", f"{CUSTOMER}/Account/Query", api.get_account, scopes=MANAGE),
        ]

    # --- the DeveloperToken header is checked before the access token ----------------------------
    async def _answer(self, call: Call, token: Token | None, kind: str | None) -> Response:
        if call.endpoint.auth == "user" and kind != "error_5xx":
            problem = api.developer_token_problem(call)
            if problem is not None:
                return problem
        return await super()._answer(call, token, kind)

    # --- auth --------------------------------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _ms(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        return _ms(sandbox).tokens.get(bearer(request))

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        user = _ms(sandbox).users.get(user_id)
        return user.username if user else None

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        if token is None and bearer(call.request) is None:
            return errors.ad_api_fault(116, "Authorization")
        if token is not None and not token.revoked and token.expired(sandbox.now()):
            return errors.ad_api_fault(109)
        return errors.ad_api_fault(105)

    def scope_error(self, call: Call) -> Response:
        return errors.ad_api_fault(105, "The access token lacks the msads.manage scope.")

    # --- misbehaviour ------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        return errors.server_error(status)

    def rate_limited(self, call: Call) -> Response:
        if call.endpoint.template.startswith("/oauth/"):
            return errors.oauth_error(
                "temporarily_unavailable", 90033, "Too many requests.", status=429
            )
        return errors.ad_api_fault(117, status=400)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        """Calls per user and customer in a 60-second window; Microsoft publishes no number."""
        if call.endpoint.auth == "none" and not burst:
            return False
        ms = _ms(call.sandbox)
        user = call.principal.user_id if call.principal else "?"
        customer = call.request.headers.get("customerid", "")
        key = ("calls", user, customer)
        limit = ms.config.calls_per_minute
        if burst:
            ms.limiter.exhaust(key, limit, WINDOW, call.now, aligned=False)
        return ms.limiter.hit(key, limit, WINDOW, call.now).exceeded

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        ms = _ms(sandbox)
        user = ms.user(str(body.get("user", "demo")))
        if user is None:
            raise LookupError(f"unknown Microsoft Advertising user {body.get('user')!r}")
        client = ms.clients.get(str(body.get("client_id", CLIENT_ID)))
        if client is None:
            raise LookupError(f"unknown client {body.get('client_id')!r}")
        scopes = oauth.split_scopes(str(body.get("scope", DEFAULT_SCOPE)))
        unknown = [s for s in scopes if s not in oauth.KNOWN_SCOPES]
        if unknown:
            raise ValueError(f"unknown scope {unknown[0]!r}")
        lifetime = body.get("expires_in")
        result = oauth.issue(
            ms, client, user, scopes, sandbox.now(), None if lifetime is None else float(lifetime)
        )
        result.update(
            {
                "user_id": user.id,
                "username": user.username,
                "customer_id": user.customer_id,
                "account_ids": [a.id for a in ms.customer_accounts(user.customer_id)],
                "developer_token": DEVELOPER_TOKEN,
                "client_id": client.client_id,
            }
        )
        return result

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        """Daily rows of one campaign: ``{"day": ..., ...}`` or ``{"days": {day: {...}|null}}``."""
        ms = _ms(sandbox)
        campaign = ms.campaigns.get(post_id)
        if campaign is None:
            raise LookupError(f"unknown campaign {post_id!r}")
        if metrics.get("replace"):
            for key in [k for k in ms.metrics if k[0] == campaign.id]:
                del ms.metrics[key]
        days: dict[str, Any] = {}
        if "day" in metrics:
            days[str(metrics["day"])] = {k: v for k, v in metrics.items() if k != "day"}
        raw_days = metrics.get("days") or {}
        if not isinstance(raw_days, dict):
            raise ValueError("days must map YYYY-MM-DD to a row (or null to delete it)")
        days.update({str(k): v for k, v in raw_days.items()})
        for raw_day, row in days.items():
            day = _day(raw_day, "day")
            assert day is not None
            if row is None:
                ms.metrics.pop((campaign.id, day), None)
                continue
            if not isinstance(row, dict):
                raise ValueError("a row is an object with impressions, clicks, spend, conversions")
            revenue = row.get("revenue")
            ms.metrics[(campaign.id, day)] = DailyRow(
                impressions=int(row.get("impressions", 0)),
                clicks=int(row.get("clicks", 0)),
                spend=_decimal(row.get("spend", "0"), "spend"),
                conversions=_decimal(row.get("conversions", "0"), "conversions"),
                revenue=None if revenue is None else _decimal(revenue, "revenue"),
            )
        return {"id": campaign.id, "days": self._rows(ms, campaign.id)}

    @staticmethod
    def _rows(ms: MsadsState, campaign_id: str) -> dict[str, dict[str, Any]]:
        return {
            day.isoformat(): {
                "impressions": row.impressions,
                "clicks": row.clicks,
                "spend": str(row.spend),
                "conversions": str(row.conversions),
                "revenue": None if row.revenue is None else str(row.revenue),
            }
            for (cid, day), row in sorted(ms.metrics.items())
            if cid == campaign_id
        }

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        ms = _ms(sandbox)
        config = ms.config
        for key, value in changes.items():
            if key in INT_SETTINGS:
                setattr(config, key, int(value))
            elif key == "refresh_token_single_use":
                config.refresh_token_single_use = bool(value)
            elif key == "campaigns":
                if not isinstance(value, dict):
                    raise ValueError("campaigns must map a campaign id to its changes")
                for campaign_id, fields in value.items():
                    self._change_campaign(ms, str(campaign_id), fields)
            elif key == "ad_groups":
                if not isinstance(value, dict):
                    raise ValueError("ad_groups must map an ad group id to its changes")
                for group_id, fields in value.items():
                    self._change_ad_group(ms, str(group_id), fields)
            else:
                raise ValueError(f"unknown Microsoft Advertising setting {key!r}")
        return {**config.to_json(), "campaigns": self._campaigns(ms)}

    @staticmethod
    def _change_campaign(ms: MsadsState, campaign_id: str, fields: Any) -> None:
        if not isinstance(fields, dict):
            raise ValueError("campaign changes must be an object")
        campaign = ms.campaigns.get(campaign_id)
        if campaign is None:
            account = ms.accounts.get(str(fields.get("AccountId", "180000001")))
            if account is None:
                raise ValueError(f"unknown AccountId {fields.get('AccountId')!r}")
            campaign = Campaign(
                id=campaign_id,
                account_id=account.id,
                name=str(fields.get("Name", f"Campaign {campaign_id}")),
                campaign_type="Search",
                status="Active",
                daily_budget=Decimal("25.00"),
                budget_type="DailyBudgetStandard",
                start_date=None,
                end_date=None,
                use_campaign_level_dates=True,
                time_zone=account.time_zone,
            )
            ms.campaigns[campaign_id] = campaign
        for name, value in fields.items():
            if name == "AccountId":
                continue
            if name == "Name":
                campaign.name = str(value)
            elif name == "Status":
                campaign.status = _choice(value, CAMPAIGN_STATUSES, "Status")
            elif name == "CampaignType":
                campaign.campaign_type = _choice(value, CAMPAIGN_TYPES, "CampaignType")
            elif name == "BudgetType":
                campaign.budget_type = _choice(value, BUDGET_TYPES, "BudgetType")
            elif name == "DailyBudget":
                campaign.daily_budget = _decimal(value, "DailyBudget")
            elif name == "StartDate":
                campaign.start_date = _day(value, name)
            elif name == "EndDate":
                campaign.end_date = _day(value, name)
            elif name == "UseCampaignLevelDates":
                campaign.use_campaign_level_dates = bool(value)
            elif name == "TimeZone":
                campaign.time_zone = _choice(value, tuple(TIME_ZONES), "TimeZone")
            else:
                raise ValueError(f"unknown campaign field {name!r}")

    @staticmethod
    def _change_ad_group(ms: MsadsState, group_id: str, fields: Any) -> None:
        if not isinstance(fields, dict):
            raise ValueError("ad group changes must be an object")
        group = ms.ad_groups.get(group_id)
        if group is None:
            campaign_id = str(fields.get("CampaignId", ""))
            if campaign_id not in ms.campaigns:
                raise ValueError("a new ad group needs the CampaignId of an existing campaign")
            group = AdGroup(group_id, campaign_id, f"Ad group {group_id}", "Active", None, None)
            ms.ad_groups[group_id] = group
        for name, value in fields.items():
            if name == "CampaignId":
                continue
            if name == "Name":
                group.name = str(value)
            elif name == "Status":
                group.status = _choice(value, AD_GROUP_STATUSES, "Status")
            elif name == "StartDate":
                group.start_date = _day(value, name)
            elif name == "EndDate":
                group.end_date = _day(value, name)
            else:
                raise ValueError(f"unknown ad group field {name!r}")

    @staticmethod
    def _campaigns(ms: MsadsState) -> list[dict[str, Any]]:
        rows = []
        for campaign in ms.campaigns.values():
            row = api.campaign_json(campaign)
            row["AccountId"] = campaign.account_id
            row["AdGroups"] = [
                api.ad_group_json(g) for g in ms.ad_groups.values() if g.campaign_id == campaign.id
            ]
            rows.append(row)
        return rows

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        ms = _ms(sandbox)
        return {
            "base_path": self.prefix,
            "authorize_path": f"{self.prefix}/oauth/authorize",
            "token_path": f"{self.prefix}/oauth/token",
            "campaign_base": f"{self.prefix}/campaign",
            "reporting_base": f"{self.prefix}/reporting",
            "customer_base": f"{self.prefix}/clientcenter",
            "clients": [
                {"client_id": c.client_id, "client_secret": c.client_secret}
                for c in ms.clients.values()
            ],
            "developer_token": DEVELOPER_TOKEN,
            "scope": DEFAULT_SCOPE,
            "users": [
                {
                    "id": u.id,
                    "username": u.username,
                    "email": u.email,
                    "customer_id": u.customer_id,
                    "accounts": [
                        {
                            "id": a.id,
                            "name": a.name,
                            "number": a.number,
                            "currency": a.currency,
                            "time_zone": a.time_zone,
                            "iana_time_zone": TIME_ZONES[a.time_zone][0],
                        }
                        for a in ms.customer_accounts(u.customer_id)
                    ],
                }
                for u in ms.users.values()
            ],
            "config": ms.config.to_json(),
        }
