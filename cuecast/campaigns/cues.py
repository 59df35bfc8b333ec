"""What a campaign's change does to the posts cued to it: move, hold, release.

Every change writes a `TargetEvent` (the post's history) with its cause in a sentence, e.g.
"Campaign “Winter sale” now ends 12 Dec (synced from Microsoft Advertising)". All updates are
conditional on the target's state, so a target a worker has already claimed keeps its course.

Rules (docs/campaigns.md, "Cues"):
- Dates moved: `cuecast.posts.services.reschedule_cued_targets` recomputes every open cued target
  (the DST-safe cue math lives in `cuecast.posts.scheduling`); each target that moved gets a
  "moved" event with from/to.
- Paused, removed, or ended before its end date: every scheduled cued target is held
  (`state=held`, `hold=campaign`) with a reason naming the campaign.
- Running again: campaign-held targets go back to the schedule at their own due time. One whose
  time passed while it was held goes out at once when it is at most `LATE_LIMIT` (1 hour) late;
  later than that it is skipped (cancelled, with the reason) rather than published out of context.
  A scheduled target that a move puts more than `LATE_LIMIT` into the past is skipped the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from cuecast.campaigns.models import Campaign
from cuecast.posts.models import HoldCause, ScheduleKind, Target, TargetEvent, TargetState

LATE_LIMIT = timedelta(hours=1)

# States a cue move may change (the same as reschedule_cued_targets).
MOVABLE = (TargetState.SCHEDULED, TargetState.HELD, TargetState.DRAFT)

PLATFORM_NAMES = {
    "microsoft": "Microsoft Advertising",
    "google": "Google Ads",
    "meta": "Meta",
    "linkedin_ads": "LinkedIn Ads",
}


def platform_name(key: str) -> str:
    return PLATFORM_NAMES.get(key, key or "the ad platform")


def cued_targets(campaign: Campaign) -> QuerySet[Target]:
    """Targets of posts scheduled relative to this campaign's start or end."""
    return Target.objects.filter(
        post__schedule__campaign=campaign, post__schedule__kind=ScheduleKind.CUE
    )


def short_day(moment: datetime, tz_name: str, *, is_end: bool = False) -> str:
    """ "12 Dec 2026" or "12 Dec 2026, 18:00" in the campaign's zone. An end at midnight is the
    end of the day before (platforms give date-only ends as the next day's 00:00)."""
    local = moment.astimezone(ZoneInfo(tz_name))
    if local.hour == 0 and local.minute == 0:
        if is_end:
            local -= timedelta(days=1)
        return f"{local.day} {local:%b %Y}"
    return f"{local.day} {local:%b %Y, %H:%M}"


def _late_skip_reason(campaign: Campaign, due: datetime) -> str:
    return (
        f"Skipped: its time ({due:%Y-%m-%d %H:%M} UTC) passed more than an hour ago while "
        f"campaign “{campaign.name}” was not running."
    )


def move_targets(campaign: Campaign, cause: str, now: datetime) -> list[TargetEvent]:
    """Recompute cued targets after the campaign's dates changed; one "moved" event per target."""
    from cuecast.posts.services import reschedule_cued_targets

    before = dict(cued_targets(campaign).filter(state__in=MOVABLE).values_list("id", "due_at"))
    if not before:
        return []
    reschedule_cued_targets(campaign)
    after = Target.objects.filter(pk__in=list(before)).values_list("id", "due_at", "state")
    events: list[TargetEvent] = []
    for target_id, due, state in after:
        if due == before[target_id]:
            continue
        events.append(
            TargetEvent(
                target_id=target_id,
                kind="moved",
                cause=cause[:300],
                from_due=before[target_id],
                to_due=due,
            )
        )
        if state == TargetState.SCHEDULED and due is not None and due < now - LATE_LIMIT:
            skipped = Target.objects.filter(pk=target_id, state=TargetState.SCHEDULED).update(
                state=TargetState.CANCELLED,
                next_attempt_at=None,
                reason=_late_skip_reason(campaign, due)[:500],
                updated_at=now,
            )
            if skipped:
                events.append(
                    TargetEvent(
                        target_id=target_id,
                        kind="skipped",
                        cause=f"{cause}; the new time had already passed"[:300],
                        from_due=due,
                    )
                )
    return TargetEvent.objects.bulk_create(events)


def hold_targets(
    campaign: Campaign, *, reason: str, cause: str, now: datetime
) -> list[TargetEvent]:
    """Hold every scheduled target cued to the campaign. Returns the "held" events."""
    events: list[TargetEvent] = []
    for target_id, due in (
        cued_targets(campaign).filter(state=TargetState.SCHEDULED).values_list("id", "due_at")
    ):
        held = Target.objects.filter(pk=target_id, state=TargetState.SCHEDULED).update(
            state=TargetState.HELD,
            hold=HoldCause.CAMPAIGN,
            reason=reason[:500],
            updated_at=now,
        )
        if held:
            events.append(
                TargetEvent(
                    target_id=target_id, kind="held", cause=cause[:300], from_due=due, to_due=due
                )
            )
    return TargetEvent.objects.bulk_create(events)


def release_targets(campaign: Campaign, *, cause: str, now: datetime) -> list[TargetEvent]:
    """Campaign-held targets back to the schedule (or skipped when over an hour late)."""
    events: list[TargetEvent] = []
    held = cued_targets(campaign).filter(state=TargetState.HELD, hold=HoldCause.CAMPAIGN)
    for target_id, due in held.values_list("id", "due_at"):
        still_held = Target.objects.filter(
            pk=target_id, state=TargetState.HELD, hold=HoldCause.CAMPAIGN
        )
        if due is not None and due < now - LATE_LIMIT:
            changed = still_held.update(
                state=TargetState.CANCELLED,
                hold=HoldCause.NONE,
                next_attempt_at=None,
                reason=_late_skip_reason(campaign, due)[:500],
                updated_at=now,
            )
            kind = "skipped"
        else:
            changed = still_held.update(
                state=TargetState.SCHEDULED,
                hold=HoldCause.NONE,
                reason="",
                next_attempt_at=max(due, now) if due is not None else now,
                updated_at=now,
            )
            kind = "released"
        if changed:
            events.append(
                TargetEvent(
                    target_id=target_id, kind=kind, cause=cause[:300], from_due=due, to_due=due
                )
            )
    return TargetEvent.objects.bulk_create(events)
