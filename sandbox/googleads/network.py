"""The Google Ads API emulator (REST interface + Google OAuth 2.0), mounted at ``/googleads``.

``{base}/googleads`` stands in for ``https://googleads.googleapis.com`` (``/{version}/…``),
``{base}/googleads/oauth/authorize`` for ``https://accounts.google.com/o/oauth2/v2/auth`` and
``{base}/googleads/oauth/token`` for ``https://oauth2.googleapis.com/token``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call, Endpoint, Network, bearer
from sandbox.common.tokens import Token, TokenStore
from sandbox.googleads import api, errors, oauth
from sandbox.googleads.errors import AdsError
from sandbox.googleads.state import (
    ADWORDS_SCOPE,
    BUDGET_PERIODS,
    CAMPAIGN_STATUSES,
    CHANNEL_TYPES,
    CLIENT_ID,
    DAY,
    MICROS,
    PRIMARY_STATUSES,
    SERVING_STATUSES,
    Budget,
    Campaign,
    Customer,
    DailyRow,
    GoogleAdsState,
    seeded_state,
)
from sandbox.state import SandboxState

VERSION_RE = re.compile(r"^v(\d+)(?:_\d+)?$")
DEFAULT_CUSTOMER = "5550001001"
RATE_NAME = "Number of operations for basic access"


def _gs(sandbox: SandboxState) -> GoogleAdsState:
    return sandbox.net("googleads", GoogleAdsState)


def _version(call: Call) -> str:
    return str(call.request.path_params.get("version", "v0"))


def _is_stream(call: Call) -> bool:
    return call.endpoint.template.endswith(":searchStream")


class GoogleAdsNetwork(Network):
    name = "googleads"

    def initial_state(self) -> GoogleAdsState:
        return seeded_state()

    def endpoints(self) -> list[Endpoint]:
        scopes = (ADWORDS_SCOPE,)
        return [
            Endpoint("GET", "/oauth/authorize", oauth.authorize_page, auth="none"),
            Endpoint("POST", "/oauth/authorize", oauth.authorize_decision, auth="none"),
            Endpoint("POST", "/oauth/token", oauth.token, auth="none"),
            Endpoint(
                "GET",
                "/{version}/customers:listAccessibleCustomers",
                api.list_accessible_customers,
                scopes=scopes,
            ),
            Endpoint(
                "POST", "/{version}/customers/{cid}/googleAds:search", api.search, scopes=scopes
            ),
            Endpoint(
                "POST",
                "/{version}/customers/{cid}/googleAds:searchStream",
                api.search_stream,
                scopes=scopes,
            ),
        ]

    # --- errors ------------------------------------------------------------------------------
    def _error(
        self,
        call: Call,
        http: int,
        *errs: AdsError,
        message: str | None = None,
    ) -> Response:
        with call.sandbox.lock:
            request_id = _gs(call.sandbox).request_id()
        return errors.response(
            http, _version(call), request_id, errs, message=message, stream=_is_stream(call)
        )

    def version_problem(self, call: Call) -> Response | None:
        raw = _version(call)
        match = VERSION_RE.match(raw)
        cfg = _gs(call.sandbox).config
        if match is None or int(match.group(1)) > cfg.latest_version:
            return self._error(call, 404, message="Method not found.")
        if int(match.group(1)) < cfg.oldest_version:
            return self._error(
                call,
                400,
                AdsError(
                    "requestError",
                    "UNSUPPORTED_VERSION",
                    "This API version has been sunset and is no longer supported.",
                ),
            )
        return None

    async def _answer(self, call: Call, token: Token | None, kind: str | None) -> Response:
        if call.endpoint.template.startswith("/{version}"):
            problem = self.version_problem(call)
            if problem is not None:
                return problem
            if kind == "error_5xx" and call.fault is not None:
                status = call.fault.status
                if status == 500:
                    return self._error(
                        call,
                        500,
                        AdsError("internalError", "INTERNAL_ERROR", "Internal error encountered."),
                    )
                return self._error(call, status)
        return await super()._answer(call, token, kind)

    # --- auth --------------------------------------------------------------------------------
    def token_store(self, sandbox: SandboxState) -> TokenStore:
        return _gs(sandbox).tokens

    def lookup_token(self, sandbox: SandboxState, request: Request) -> Token | None:
        return _gs(sandbox).tokens.get(bearer(request))

    def username(self, sandbox: SandboxState, user_id: str) -> str | None:
        user = _gs(sandbox).users.get(user_id)
        return user.username if user else None

    def auth_error(self, sandbox: SandboxState, call: Call, token: Token | None) -> Response:
        if token is None and bearer(call.request) is None:
            return self._error(call, 401, message=errors.MISSING_CREDENTIALS)
        if token is None:
            code, text = "OAUTH_TOKEN_INVALID", "OAuth token in the header is not valid."
        elif token.revoked:
            code, text = "OAUTH_TOKEN_REVOKED", "OAuth token in the header has been revoked."
        elif token.expired(sandbox.now()):
            code, text = "OAUTH_TOKEN_EXPIRED", "OAuth token in the header has expired."
        else:
            code, text = "OAUTH_TOKEN_INVALID", "OAuth token in the header is not valid."
        return self._error(call, 401, AdsError("authenticationError", code, text))

    def scope_error(self, call: Call) -> Response:
        return self._error(call, 403, message="Request had insufficient authentication scopes.")

    # --- misbehaviour ------------------------------------------------------------------------
    def server_error(self, status: int) -> Response:
        body = errors.envelope(status, "v0", "")
        return JSONResponse(body, status_code=status)

    def _quota_key(self, call: Call) -> tuple[str, str]:
        client = call.principal.token.client_id if call.principal else "?"
        return ("operations", client)

    def rate_limit(self, call: Call, burst: bool) -> bool:
        """Daily operations per Cloud project (OAuth client); the window opens with the first
        request (Google counts a sliding 24 h)."""
        if call.endpoint.auth == "none":
            return False
        if burst:
            return True
        gs = _gs(call.sandbox)
        result = gs.limiter.hit(
            self._quota_key(call), gs.config.daily_operations, DAY, call.now, aligned=False
        )
        return result.exceeded

    def rate_limited(self, call: Call) -> Response:
        gs = _gs(call.sandbox)
        if call.fault is not None and call.fault.kind == "rate_limit_burst":
            seconds = max(int(call.fault.seconds), 1)
        else:
            window = gs.limiter.peek(
                self._quota_key(call), gs.config.daily_operations, DAY, call.now
            )
            seconds = max(int(window.reset_at - call.now), 1)
        return self._error(call, 429, errors.quota(seconds, RATE_NAME))

    # --- control API -------------------------------------------------------------------------
    def mint_tokens(self, sandbox: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        gs = _gs(sandbox)
        user = gs.user(str(body.get("user", "demo")))
        if user is None:
            raise LookupError(f"unknown Google user {body.get('user')!r}")
        client = gs.clients.get(str(body.get("client_id", CLIENT_ID)))
        if client is None:
            raise LookupError(f"unknown OAuth client {body.get('client_id')!r}")
        scopes = oauth.split_scopes(str(body.get("scope", ADWORDS_SCOPE)))
        unknown = [s for s in scopes if s not in oauth.KNOWN_SCOPES]
        if unknown:
            raise ValueError(f"unknown scope {unknown[0]!r}")
        lifetime = body.get("expires_in")
        result = oauth.issue(
            gs,
            client,
            user,
            scopes,
            sandbox.now(),
            bool(body.get("offline", True)),
            None if lifetime is None else float(lifetime),
        )
        result.update(
            {
                "user": user.username,
                "user_id": user.id,
                "email": user.email,
                "client_id": client.client_id,
                "customer_ids": list(user.customers),
                "resource_names": [f"customers/{c}" for c in user.customers],
                "customers": [_customer_json(gs, gs.customers[c]) for c in user.customers],
            }
        )
        return result

    def set_metrics(self, sandbox: SandboxState, post_id: str, metrics: dict[str, Any]) -> Any:
        gs = _gs(sandbox)
        campaign = gs.campaigns.get(post_id)
        if campaign is None:
            raise LookupError(f"unknown campaign {post_id!r}")
        for raw_day, raw_row in metrics.items():
            day = date.fromisoformat(str(raw_day))
            if raw_row is None:
                gs.metric_overrides[(campaign.id, day)] = None
            elif isinstance(raw_row, dict):
                gs.metric_overrides[(campaign.id, day)] = _daily_row(raw_row)
            else:
                raise ValueError(f"metrics for {raw_day} must be an object or null")
        customer = gs.customers[campaign.customer_id]
        today = gs.local_now(customer, sandbox.now()).date()
        return {
            "id": campaign.id,
            "customer_id": customer.id,
            "currency_code": customer.currency_code,
            "time_zone": customer.time_zone,
            "days": {d.isoformat(): r.to_json() for d, r in gs.daily_rows(campaign, today).items()},
        }

    def configure(self, sandbox: SandboxState, changes: dict[str, Any]) -> dict[str, Any]:
        gs = _gs(sandbox)
        config = gs.config
        touched: list[str] = []
        for key, value in changes.items():
            if key == "campaigns":
                if not isinstance(value, list):
                    raise ValueError("campaigns must be a list of objects")
                touched.extend(_change_campaign(gs, sandbox.now(), item) for item in value)
            elif key == "customers":
                if not isinstance(value, list):
                    raise ValueError("customers must be a list of objects")
                for item in value:
                    _change_customer(gs, item)
            elif key in config.to_json():
                setattr(config, key, int(value))
            else:
                raise ValueError(f"unknown Google Ads setting {key!r}")
        now = sandbox.now()
        return {
            "config": config.to_json(),
            "campaigns": [
                _campaign_json(gs, c, now)
                for c in gs.campaigns.values()
                if not touched or c.id in touched
            ],
        }

    def describe(self, sandbox: SandboxState) -> dict[str, Any]:
        gs = _gs(sandbox)
        now = sandbox.now()
        return {
            "base_path": self.prefix,
            "authorize_path": f"{self.prefix}/oauth/authorize",
            "token_path": f"{self.prefix}/oauth/token",
            "api_versions": [
                f"v{n}" for n in range(gs.config.oldest_version, gs.config.latest_version + 1)
            ],
            "scope": ADWORDS_SCOPE,
            "clients": [
                {"client_id": c.client_id, "client_secret": c.client_secret}
                for c in gs.clients.values()
            ],
            "users": [
                {"id": u.id, "username": u.username, "email": u.email, "customers": u.customers}
                for u in gs.users.values()
            ],
            "customers": [_customer_json(gs, c) for c in gs.customers.values()],
            "campaigns": [_campaign_json(gs, c, now) for c in gs.campaigns.values()],
            "config": gs.config.to_json(),
        }


# --- control API helpers --------------------------------------------------------------------------
def _customer_json(gs: GoogleAdsState, customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "resource_name": customer.resource_name,
        "descriptive_name": customer.descriptive_name,
        "currency_code": customer.currency_code,
        "time_zone": customer.time_zone,
        "manager": customer.manager,
        "status": customer.status,
        "clients": gs.descendants(customer.id) if customer.manager else [],
    }


def _campaign_json(gs: GoogleAdsState, campaign: Campaign, now: float) -> dict[str, Any]:
    local_now = gs.local_now(gs.customers[campaign.customer_id], now)
    primary, reasons = campaign.derived_primary(local_now)
    return {
        "id": campaign.id,
        "customer_id": campaign.customer_id,
        "name": campaign.name,
        "status": campaign.status,
        "advertising_channel_type": campaign.channel,
        "start_date_time": campaign.start_date_time(),
        "end_date_time": campaign.end_date_time(),
        "start_date": campaign.start_date(),
        "end_date": campaign.end_date(),
        "day_granularity": campaign.day_granularity,
        "primary_status": primary,
        "primary_status_reasons": reasons,
        "serving_status": campaign.derived_serving(local_now),
        "budget": {
            "id": campaign.budget.id,
            "period": campaign.budget.period,
            "amount_micros": _opt_str(campaign.budget.amount_micros),
            "total_amount_micros": _opt_str(campaign.budget.total_amount_micros),
        },
    }


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _micros(row: dict[str, Any], micros_key: str, decimal_key: str) -> int | None:
    if row.get(micros_key) is not None:
        return int(str(row[micros_key]))
    if row.get(decimal_key) is not None:
        try:
            amount = Decimal(str(row[decimal_key])) * MICROS
        except InvalidOperation as exc:
            raise ValueError(f"{decimal_key} must be a decimal number") from exc
        if amount != amount.to_integral_value():
            raise ValueError(f"{decimal_key} has more than 6 decimal places")
        return int(amount)
    return None


def _daily_row(row: dict[str, Any]) -> DailyRow:
    unknown = set(row) - {"impressions", "clicks", "cost_micros", "cost", "conversions"}
    if unknown:
        raise ValueError(f"unknown metric {sorted(unknown)[0]!r}")
    try:
        conversions = Decimal(str(row.get("conversions", 0)))
    except InvalidOperation as exc:
        raise ValueError("conversions must be a number") from exc
    return DailyRow(
        impressions=int(row.get("impressions", 0)),
        clicks=int(row.get("clicks", 0)),
        cost_micros=_micros(row, "cost_micros", "cost") or 0,
        conversions=conversions,
    )


def _parse_moment(value: Any, end: bool) -> tuple[datetime, bool]:
    """("YYYY-MM-DD" | "YYYY-MM-DD HH:MM:SS") → (wall-clock datetime, date only?)."""
    text = str(value).strip().replace("T", " ")
    if len(text) == 10:
        day = datetime.combine(date.fromisoformat(text), time())
        return (day.replace(hour=23, minute=59, second=59) if end else day), True
    return datetime.fromisoformat(text[:19]), False


def _enum(value: Any, allowed: tuple[str, ...], what: str) -> str:
    text = str(value).upper()
    if text not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}")
    return text


def _change_customer(gs: GoogleAdsState, item: Any) -> None:
    if not isinstance(item, dict) or str(item.get("id")) not in gs.customers:
        raise ValueError("each customer change needs the 'id' of a seeded customer")
    customer = gs.customers[str(item["id"])]
    for key in ("descriptive_name", "currency_code", "time_zone", "status"):
        if key in item:
            setattr(customer, key, str(item[key]))
    customer.zone  # noqa: B018 - raises for an unknown time zone


def _change_campaign(gs: GoogleAdsState, now: float, item: Any) -> str:
    if not isinstance(item, dict):
        raise ValueError("each campaign change must be an object")
    campaign = gs.campaigns.get(str(item.get("id", "")))
    if campaign is None:
        customer_id = str(item.get("customer_id", DEFAULT_CUSTOMER))
        customer = gs.customers.get(customer_id)
        if customer is None or customer.manager:
            raise ValueError(f"unknown advertiser customer {customer_id!r}")
        today = gs.local_now(customer, now).date()
        campaign = Campaign(
            id=str(item.get("id") or gs.new_id()),
            customer_id=customer_id,
            name=str(item.get("name", "New campaign")),
            status="ENABLED",
            channel="SEARCH",
            start=datetime.combine(today, time()),
            end=None,
            budget=Budget(gs.new_id(), "DAILY", amount_micros=10_000_000),
        )
        gs.campaigns[campaign.id] = campaign
    date_only = campaign.day_granularity
    for key, value in item.items():
        if key in ("id", "customer_id"):
            continue
        if key == "name":
            campaign.name = str(value)
        elif key == "status":
            campaign.status = _enum(value, CAMPAIGN_STATUSES, "status")
        elif key in ("advertising_channel_type", "channel"):
            campaign.channel = _enum(value, CHANNEL_TYPES, key)
        elif key in ("start", "start_date", "start_date_time"):
            campaign.start, only = _parse_moment(value, end=False)
            date_only = date_only and only
        elif key in ("end", "end_date", "end_date_time"):
            if value is None or str(value) == "2037-12-30":
                campaign.end = None
            else:
                campaign.end, only = _parse_moment(value, end=True)
                date_only = date_only and only
        elif key == "budget":
            _change_budget(campaign.budget, value)
        elif key == "primary_status":
            campaign.primary_status = None if value is None else _enum(value, PRIMARY_STATUSES, key)
        elif key == "primary_status_reasons":
            campaign.primary_status_reasons = None if value is None else [str(v) for v in value]
        elif key == "serving_status":
            campaign.serving_status = None if value is None else _enum(value, SERVING_STATUSES, key)
        elif key in ("budget_limited", "generate_metrics"):
            setattr(campaign, key, bool(value))
        else:
            raise ValueError(f"unknown campaign setting {key!r}")
    campaign.day_granularity = date_only
    if campaign.end is not None and campaign.end < campaign.start:
        raise ValueError("the campaign ends before it starts")
    return campaign.id


def _change_budget(budget: Budget, value: Any) -> None:
    if not isinstance(value, dict):
        raise ValueError("budget must be an object")
    if "period" in value:
        budget.period = _enum(value["period"], BUDGET_PERIODS, "budget.period")
    amount = _micros(value, "amount_micros", "amount")
    total = _micros(value, "total_amount_micros", "total_amount")
    if amount is not None:
        budget.amount_micros = amount
    if total is not None:
        budget.total_amount_micros = total
    if budget.period == "CUSTOM_PERIOD" and "amount_micros" not in value and "amount" not in value:
        budget.amount_micros = None if total is not None else budget.amount_micros
    if budget.period == "DAILY" and total is None:
        budget.total_amount_micros = None
