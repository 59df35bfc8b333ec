"""Request and response bodies. Inputs refuse unknown fields so a typo is an error, not a no-op."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, timedelta
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator, ConfigDict, field_validator, model_validator

from cuecast.api.selectors import MAX_ID
from cuecast.campaigns.models import CampaignStatus
from cuecast.posts.models import SeriesState, TargetState

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _iso_duration(value: object) -> object:
    if not (isinstance(value, str) and value.lstrip("+-").startswith("P")):
        raise ValueError("Must be an ISO 8601 duration, like -P2D (2 days before) or PT0S.")
    return value


IsoDuration = Annotated[timedelta, BeforeValidator(_iso_duration)]
ZoneName = Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Berlin"])]


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


# --- channels -----------------------------------------------------------------------------------


class ChannelOut(Schema):
    id: int
    network: str
    name: str
    handle: str
    status: str
    status_reason: str | None
    access_tier: str = Field(
        "", description="The API access tier the account's app is on; empty: not recorded."
    )
    access_tiers: list[str] = Field(
        default_factory=list, description="The tiers to choose from; empty: the network has none."
    )


# --- campaigns ----------------------------------------------------------------------------------


class CampaignIn(Input):
    name: str = Field(max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    timezone: ZoneName | None = Field(
        None, description="IANA zone the dates were planned in; the workspace's zone if left out."
    )
    status: CampaignStatus = CampaignStatus.ACTIVE


class CampaignPatch(Input):
    """Only the fields sent change; `ends_at: null` removes the end date."""

    name: str | None = Field(None, max_length=200)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: ZoneName | None = None
    status: CampaignStatus | None = None

    @field_validator("name", "starts_at", "timezone", "status")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields that were sent: an explicit null is refused, absence keeps the value.
        if value is None:
            raise ValueError("Cannot be null; leave the field out to keep its value.")
        return value


class CampaignOut(Schema):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    status: CampaignStatus
    created_at: datetime
    updated_at: datetime


# --- posts --------------------------------------------------------------------------------------


class CueIn(Input):
    campaign_id: Id
    event: Literal["start", "end"]
    offset: IsoDuration = Field(
        timedelta(0),
        description="ISO 8601 duration from the event, e.g. -P2D (2 days before) or PT0S.",
        examples=["-P2D"],
    )
    time: dt.time | None = Field(
        None, description="Wall-clock time on the resulting day, e.g. 09:00.", examples=["09:00"]
    )
    tz: ZoneName | None = Field(None, description="IANA zone; the campaign's zone if left out.")


class ScheduleIn(Input):
    """Exactly one of: `at` (instant with offset), `local` + `tz` (wall clock), `cue`, or
    `queue: true` (each channel's next free queue slot)."""

    at: AwareDatetime | None = Field(None, examples=["2026-12-01T09:00:00+01:00"])
    local: str | None = Field(None, max_length=32, examples=["2026-12-01T09:00"])
    tz: ZoneName | None = None
    cue: CueIn | None = None
    queue: Literal[True] | None = Field(
        None, description="true: each channel's next free queue slot (its weekly posting times)."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleIn:
        given = [
            name for name in ("at", "local", "cue", "queue") if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "Give exactly one of “at” (a time with offset), “local” with “tz”, “cue”, or "
                "“queue”: true."
            )
        if self.local is not None and not self.tz:
            raise ValueError('A local time needs its time zone: add “tz”, like "Europe/Berlin".')
        if self.local is None and self.tz is not None:
            raise ValueError("“tz” belongs to “local” (or inside “cue”); “at” carries its offset.")
        if self.local is not None:
            self.local = _minute_precision(self.local)
        return self


def _minute_precision(value: str) -> str:
    """Normalise a naive local time to "YYYY-MM-DDTHH:MM"; other input goes on to the service,
    which explains what is wrong with it."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        return value
    if parsed.second or parsed.microsecond:
        raise ValueError("Give the local time to the minute, like 2026-12-01T09:00.")
    return parsed.strftime("%Y-%m-%dT%H:%M")


class TargetIn(Input):
    channel_id: Id
    text: str | None = Field(None, description="This network's variant; the post's text if empty.")
    options: dict[str, str] = Field(
        default_factory=dict,
        description="Settings the network has: content_warning, visibility, language (see GET "
        "/api/v1/channels for each channel's network).",
    )


class PostIn(Input):
    text: str = ""
    targets: list[TargetIn]
    schedule: ScheduleIn | None = Field(None, description="Leave out to save a draft.")
    media_ids: list[Id] = Field(
        default_factory=list, max_length=20, description="Uploaded media, in the order to show."
    )


class CueOut(Schema):
    campaign_id: int | None
    event: str
    offset: str = Field(description="ISO 8601 duration, e.g. -P2D.")
    time: str | None = Field(description="Wall-clock time, e.g. 09:00.")
    tz: str | None


class ScheduleOut(Schema):
    kind: Literal["at", "local", "cue", "queue"]
    at: datetime | None = None
    local: str | None = None
    tz: str | None = None
    cue: CueOut | None = None


class TargetOut(Schema):
    id: int
    channel_id: int
    network: str
    text: str | None
    state: TargetState
    due_at: datetime | None
    external_id: str | None
    permalink: str | None
    reason: str | None
    attempts: int
    published_at: datetime | None
    options: dict[str, str]


class PostOut(Schema):
    id: int
    text: str
    created_at: datetime
    approved_at: datetime | None
    schedule: ScheduleOut | None
    media_ids: list[int]
    targets: list[TargetOut]
    series_id: int | None = Field(None, description="The recurring series this post is one of.")


class PostFilters(Schema):
    state: TargetState | None = None
    channel_id: Id | None = None
    campaign_id: Id | None = None
    due_after: AwareDatetime | None = Field(None, description="Targets due at or after this time.")
    due_before: AwareDatetime | None = Field(None, description="Targets due before this time.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class PostPage(Schema):
    items: list[PostOut]
    count: int
    limit: int
    offset: int


class LeftAloneOut(Schema):
    target_id: int
    network: str
    channel: str
    state: TargetState


class RescheduleOut(Schema):
    message: str = Field(description="What happened, in a sentence for the user.")
    moved_target_ids: list[int]
    left_alone: list[LeftAloneOut] = Field(
        description="Targets already on their way or finished: they keep their course."
    )
    post: PostOut


# --- recurring series ---------------------------------------------------------------------------

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class RepeatIn(Input):
    """When a series falls, in wall-clock terms: 09:00 stays 09:00 across daylight-saving changes."""

    start: str = Field(
        max_length=32,
        description="The first day and the time of day, local, to the minute.",
        examples=["2027-03-01T09:00"],
    )
    tz: ZoneName
    frequency: Literal["daily", "weekly", "monthly"] = "weekly"
    interval: int = Field(1, ge=1, le=52, description="Every n days, weeks or months.")
    weekdays: list[Weekday] = Field(
        default_factory=list,
        max_length=7,
        description="For weekly series; the start's weekday if left out.",
        examples=[["mon", "wed"]],
    )
    month_day: int | None = Field(
        None,
        ge=1,
        le=31,
        description="For monthly series; the start's day if left out. 29 to 31 mean the month's "
        "last day in shorter months.",
    )
    until: dt.date | None = Field(None, description="The last day an occurrence may fall on.")
    count: int | None = Field(None, ge=1, le=1000, description="How many posts in all.")


class SeriesIn(Input):
    text: str = ""
    targets: list[TargetIn]
    media_ids: list[Id] = Field(default_factory=list, max_length=20)
    repeat: RepeatIn


class SeriesPatch(Input):
    """Only the fields sent change; `repeat` is replaced as a whole."""

    text: str | None = None
    targets: list[TargetIn] | None = None
    media_ids: list[Id] | None = Field(None, max_length=20)
    repeat: RepeatIn | None = None

    @field_validator("text", "targets", "media_ids", "repeat")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("Cannot be null; leave the field out to keep its value.")
        return value


class SeriesEndIn(Input):
    last_day: dt.date | None = Field(
        None, description="The last day with an occurrence (the series' zone); now if left out."
    )


class RepeatOut(Schema):
    start: str
    tz: str
    frequency: str
    interval: int
    weekdays: list[str]
    month_day: int | None
    until: dt.date | None
    count: int | None
    description: str


class SeriesTargetOut(Schema):
    channel_id: int
    network: str
    text: str | None
    options: dict[str, str]


class OccurrenceOut(Schema):
    post_id: int
    at: datetime
    states: list[TargetState]


class SeriesOut(Schema):
    id: int
    text: str
    state: SeriesState
    repeat: RepeatOut
    targets: list[SeriesTargetOut]
    media_ids: list[int]
    approved_at: datetime | None
    created_at: datetime
    upcoming: list[OccurrenceOut] = Field(
        description="Occurrences from now on that already exist as posts (two weeks ahead, and "
        "always the next one)."
    )


class SeriesPage(Schema):
    items: list[SeriesOut]
    count: int
    limit: int
    offset: int


# --- queue slots --------------------------------------------------------------------------------


class QueueSlotIn(Input):
    weekday: Weekday
    time: dt.time = Field(
        description="Wall-clock time in the workspace's zone.", examples=["09:00"]
    )


class QueueSlotsIn(Input):
    slots: list[QueueSlotIn] = Field(max_length=100)


class QueueSlotOut(Schema):
    weekday: str = Field(examples=["mon"])
    time: str


class QueueSlotsOut(Schema):
    channel_id: int
    timezone: str
    slots: list[QueueSlotOut]
    next_free: datetime | None = Field(description="The next slot no post holds yet.")
