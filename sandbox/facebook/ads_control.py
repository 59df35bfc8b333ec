"""Control-API side of the emulated Marketing API: what token minting reports, campaign and ad
set changes through ``POST /_sandbox/facebook/config``, daily rows through ``/metrics``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.facebook.ads import ADSET_FIELDS, CAMPAIGN_FIELDS, adset_json, campaign_json
from sandbox.facebook.ads_insights import money
from sandbox.facebook.ads_state import (
    CAMPAIGN_EFFECTIVE,
    CAMPAIGN_STATUSES,
    DEMO_ACCOUNT_ID,
    AdAccount,
    AdCampaign,
    AdSet,
    AdsState,
    DailyRow,
)

CAMPAIGN_KEYS = frozenset(
    (
        "id",
        "add",
        "account_id",
        "name",
        "status",
        "effective_status",
        "objective",
        "start_time",
        "stop_time",
        "daily_budget",
        "lifetime_budget",
    )
)
ADSET_KEYS = frozenset(
    (
        "id",
        "add",
        "campaign_id",
        "name",
        "status",
        "start_time",
        "end_time",
        "daily_budget",
        "lifetime_budget",
    )
)
ROW_KEYS = frozenset(("impressions", "clicks", "spend", "actions"))


def account_summary(account: AdAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "account_id": account.account_id,
        "name": account.name,
        "currency": account.currency,
        "timezone_name": account.timezone_name,
    }


def user_ad_accounts(ads: AdsState, user_id: str) -> list[dict[str, Any]]:
    return [account_summary(a) for a in ads.user_accounts(user_id)]


def _time(value: Any, account: AdAccount, key: str) -> float | None:
    """ISO 8601 (a time without offset is in the account's zone), epoch seconds, or null."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=account.zone)
            return moment.timestamp()
    raise ValueError(f"{key} must be ISO 8601 (e.g. 2026-12-01T09:00:00+01:00), epoch or null")


def _budget(value: Any, key: str) -> int | None:
    """Minor units (cents) as a number or a string of digits; null removes it."""
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValueError(f'{key} must be whole minor units (e.g. "5000" for 50.00) or null')
    return int(str(value))


def _status(value: Any, key: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}")
    return str(value)


def change_campaigns(ads: AdsState, items: Any, now: float) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise ValueError("ad_campaigns must be a list of objects")
    changed: list[AdCampaign] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("ad_campaigns must be a list of objects")
        unknown = set(item) - CAMPAIGN_KEYS
        if unknown:
            raise ValueError(f"unknown ad campaign key {sorted(unknown)[0]!r}")
        campaign = ads.campaigns.get(str(item.get("id", "")))
        if campaign is None:
            if "id" in item and not item.get("add"):
                raise ValueError(f'unknown ad campaign {item["id"]!r} (add it with "add": true)')
            account = ads.account(str(item.get("account_id", DEMO_ACCOUNT_ID)))
            if account is None:
                raise ValueError(f"unknown ad account {item.get('account_id')!r}")
            campaign = AdCampaign(
                id=str(item.get("id") or ads.ids.next()),
                account_id=account.account_id,
                name=str(item.get("name", "Sandbox campaign")),
                status="ACTIVE",
                objective=str(item.get("objective", "OUTCOME_TRAFFIC")),
                start_time=now,
                stop_time=None,
                created_time=now,
                updated_time=now,
            )
            ads.campaigns[campaign.id] = campaign
        account = ads.accounts[campaign.account_id]
        if "name" in item:
            campaign.name = str(item["name"])
        if "objective" in item:
            campaign.objective = str(item["objective"])
        if "status" in item:
            campaign.status = _status(item["status"], "status", CAMPAIGN_STATUSES)
        if "effective_status" in item:
            value = item["effective_status"]
            campaign.effective_override = (
                None if value is None else _status(value, "effective_status", CAMPAIGN_EFFECTIVE)
            )
        if "start_time" in item:
            start = _time(item["start_time"], account, "start_time")
            if start is None:
                raise ValueError("start_time cannot be null")
            campaign.start_time = start
        if "stop_time" in item:
            campaign.stop_time = _time(item["stop_time"], account, "stop_time")
        for key in ("daily_budget", "lifetime_budget"):
            if key in item:
                setattr(campaign, key, _budget(item[key], key))
        campaign.updated_time = now
        changed.append(campaign)
    return [campaign_json(ads, c, list(CAMPAIGN_FIELDS), now) for c in changed]


def change_adsets(ads: AdsState, items: Any, now: float) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise ValueError("ad_sets must be a list of objects")
    changed: list[AdSet] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("ad_sets must be a list of objects")
        unknown = set(item) - ADSET_KEYS
        if unknown:
            raise ValueError(f"unknown ad set key {sorted(unknown)[0]!r}")
        adset = ads.adsets.get(str(item.get("id", "")))
        if adset is None:
            if "id" in item and not item.get("add"):
                raise ValueError(f'unknown ad set {item["id"]!r} (add it with "add": true)')
            campaign = ads.campaigns.get(str(item.get("campaign_id", "")))
            if campaign is None:
                raise ValueError("a new ad set needs the campaign_id of an existing campaign")
            adset = AdSet(
                id=str(item.get("id") or ads.ids.next()),
                campaign_id=campaign.id,
                account_id=campaign.account_id,
                name=str(item.get("name", "Sandbox ad set")),
                status="ACTIVE",
                start_time=campaign.start_time,
                end_time=campaign.stop_time,
            )
            ads.adsets[adset.id] = adset
        account = ads.accounts[adset.account_id]
        if "name" in item:
            adset.name = str(item["name"])
        if "status" in item:
            adset.status = _status(item["status"], "status", CAMPAIGN_STATUSES)
        if "start_time" in item:
            start = _time(item["start_time"], account, "start_time")
            if start is None:
                raise ValueError("start_time cannot be null")
            adset.start_time = start
        if "end_time" in item:
            adset.end_time = _time(item["end_time"], account, "end_time")
        for key in ("daily_budget", "lifetime_budget"):
            if key in item:
                setattr(adset, key, _budget(item[key], key))
        changed.append(adset)
    return [adset_json(ads, s, list(ADSET_FIELDS)) for s in changed]


def _decimal(value: Any, key: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{key} must be a decimal number") from exc
    if not result.is_finite() or result < 0:
        raise ValueError(f"{key} must be a non-negative decimal number")
    return result


def _row(value: Any, day: str) -> DailyRow:
    if not isinstance(value, dict):
        raise ValueError(f"metrics[{day!r}] must be an object or null")
    unknown = set(value) - ROW_KEYS
    if unknown:
        raise ValueError(f"unknown daily metric {sorted(unknown)[0]!r}; use {sorted(ROW_KEYS)}")
    actions = value.get("actions", {})
    if not isinstance(actions, dict):
        raise ValueError("actions must map action_type to a number")
    return DailyRow(
        impressions=int(value.get("impressions", 0)),
        clicks=int(value.get("clicks", 0)),
        spend=_decimal(value.get("spend", "0"), "spend"),
        actions={str(k): _decimal(v, f"actions.{k}") for k, v in actions.items()},
    )


def set_daily_metrics(ads: AdsState, campaign_id: str, metrics: dict[str, Any]) -> Any:
    """``{"YYYY-MM-DD": {"impressions", "clicks", "spend", "actions": {type: n}} | null}``;
    days are the ad account's reporting days; null removes the day."""
    campaign = ads.campaigns[campaign_id]
    for raw_day, value in metrics.items():
        try:
            day = date.fromisoformat(raw_day)
        except ValueError as exc:
            raise ValueError(f"metrics keys must be days (YYYY-MM-DD), not {raw_day!r}") from exc
        if value is None:
            ads.metrics.pop((campaign.id, day), None)
        else:
            ads.metrics[(campaign.id, day)] = _row(value, raw_day)
    days = {
        day.isoformat(): {
            "impressions": row.impressions,
            "clicks": row.clicks,
            "spend": money(row.spend),
            "actions": {k: str(v) for k, v in row.actions.items()},
        }
        for (cid, day), row in sorted(ads.metrics.items(), key=lambda kv: kv[0][1])
        if cid == campaign.id
    }
    return {"id": campaign.id, "account_id": campaign.account_id, "days": days}
