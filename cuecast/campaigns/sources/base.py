"""The contract every ad-platform source meets: list campaigns, fetch daily metrics.

Like the social networks (cuecast/networks/base.py), a source package
(`cuecast/campaigns/sources/<key>/`) exports `build(config) -> AdSource`; its `AdConnection` does
the reading. Connect flows reuse the networks' `OAuthFlow` (a `ConnectedAccount` per ad account
one consent grants), and failures map to the same error tree (`cuecast.networks.errors`).
Everything is read-only: Cuecast never changes a paid campaign.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import httpx

from cuecast.networks.base import Account, AuthKind, OAuthFlow


class RemoteStatus(StrEnum):
    """A campaign's state, normalised across platforms (each keeps its raw value too)."""

    PENDING = "pending"  # draft / scheduled, not yet delivering
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"  # completed, past its end
    REMOVED = "removed"  # deleted / archived


class BudgetPeriod(StrEnum):
    DAILY = "daily"
    LIFETIME = "lifetime"


@dataclass(frozen=True)
class RemoteCampaign:
    external_id: str
    name: str
    status: RemoteStatus
    status_raw: str  # the platform's own word, shown to users
    starts_at: datetime | None  # aware; platform date-only values at 00:00 in `timezone`
    ends_at: datetime | None  # aware; a date-only end means the END of that day (next 00:00)
    timezone: str  # IANA zone the platform reports dates in (the account's)
    budget_amount: Decimal | None = None  # major units (12.50), whatever the platform's unit
    budget_period: BudgetPeriod | None = None
    currency: str = ""
    budget_exhausted: bool = False  # the platform says the budget is used up (BudgetPaused, …)


@dataclass(frozen=True)
class DailyMetric:
    campaign_external_id: str
    day: date  # in the platform's reporting zone for the account
    impressions: int
    clicks: int
    spend: Decimal  # major units, exact (Decimal, never float)
    conversions: Decimal
    currency: str


@dataclass(frozen=True)
class SourceDescriptor:
    key: str  # stable: stored in the database; never rename
    name: str
    auth: AuthKind
    scopes: tuple[str, ...]
    docs_page: str  # docs/ad-platforms/<key>.md


class AdConnection(abc.ABC):
    """One ad account's client. Raises only `cuecast.networks.errors` exceptions."""

    def __init__(self, account: Account, http: httpx.AsyncClient) -> None:
        self.account = account
        self.http = http

    @abc.abstractmethod
    async def list_campaigns(self) -> list[RemoteCampaign]:
        """Every campaign of the account, of every type, with its dates, status and budget."""

    @abc.abstractmethod
    async def daily_metrics(
        self, campaign_ids: list[str], start: date, end: date
    ) -> list[DailyMetric]:
        """Paid metrics per campaign per day, `start` to `end` inclusive."""

    @abc.abstractmethod
    async def refresh_credentials(self) -> dict[str, Any] | None:
        """New credentials after a refresh (also set on `self.account`), or None."""


class AdSource(abc.ABC):
    descriptor: SourceDescriptor

    @property
    def key(self) -> str:
        return self.descriptor.key

    @abc.abstractmethod
    def oauth(self) -> OAuthFlow: ...

    @abc.abstractmethod
    def connect(self, account: Account, http: httpx.AsyncClient) -> AdConnection: ...
