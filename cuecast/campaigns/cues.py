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
- Running again: campaign-held targets go back to the schedule at their own due time, unless
  another cause still holds them. One whose time passed while it was held follows the workspace's
  late policy (`cuecast.publishing.holds`, docs/decisions/0008-late-policy.md): it goes out now
  while within the limit, and is skipped (cancelled, with the reason) beyond it rather than
  published out of context. A scheduled target that a move puts into the past is judged the same
  way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from cuecast.campaigns.models import Campaign
from cuecast.posts.models import HoldCause, ScheduleKind, Target, TargetEvent, TargetState
from cuecast.publishing import holds

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
        if state == TargetState.SCHEDULED and due is not None:
            skipped = _skip_if_too_late(campaign, target_id, due, now)
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


def _skip_if_too_late(campaign: Campaign, target_id: int, due: datetime, now: datetime) -> bool:
    """A move put this scheduled target in the past: skip it if the late policy says so."""
    late = holds.lateness(campaign.workspace, due, now)
    if not late.skip:
        return False
    reason = holds.skipped_after_move(campaign, campaign.workspace, due, late)
    return bool(
        Target.objects.filter(pk=target_id, state=TargetState.SCHEDULED).update(
            state=TargetState.CANCELLED, next_attempt_at=None, reason=reason[:500], updated_at=now
        )
    )


def hold_targets(
    campaign: Campaign, *, reason: str, cause: str, now: datetime
) -> list[TargetEvent]:
    """Hold every scheduled target cued to the campaign. Returns the "held" events."""
    return holds.hold(cued_targets(campaign), HoldCause.CAMPAIGN, reason, now, history=cause)


def release_targets(campaign: Campaign, *, cause: str, now: datetime) -> list[TargetEvent]:
    """Campaign-held targets back to the schedule under the workspace's late policy: "released",
    "skipped" (too late) or "held" (another cause still holds it) events."""
    return holds.release(cued_targets(campaign), HoldCause.CAMPAIGN, now, history=cause)
