"""Read paths of the metrics collector: where a target's figures stand, and the plan against the
call ledger. Every function takes the workspace and scopes its queries to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _

from cuecast.accounts.models import Workspace
from cuecast.analytics import plan
from cuecast.analytics.models import FinalReason, MetricPoll, PostMetricSnapshot
from cuecast.compliance.models import ApiCall, CallPurpose
from cuecast.posts.models import Target


@dataclass(frozen=True)
class FinalAsOf:
    """Cuecast stopped collecting a target's figures: why, and when it last read them."""

    reason: FinalReason
    at: datetime | None  # the last collection; None when nothing was ever collected
    zone: str

    @property
    def text(self) -> str:
        """ "Final as of 12 Nov 2026: the channel was disconnected." in the workspace's zone."""
        label = str(FinalReason(self.reason).label)
        # Only the first letter: German nouns keep their capital ("der Kanal wurde getrennt").
        why = label[:1].lower() + label[1:]
        if self.at is None:
            return _("No figures collected: %(why)s.") % {"why": why}
        day = formats.date_format(self.at.astimezone(ZoneInfo(self.zone)).date(), "j M Y")
        return _("Final as of %(day)s: %(why)s.") % {"day": day, "why": why}


def _target(workspace: Workspace, target_id: int) -> Target | None:
    return (
        Target.objects.filter(pk=target_id, post__workspace=workspace)
        .select_related("channel")
        .first()
    )


def final_as_of(workspace: Workspace, target_id: int) -> FinalAsOf | None:
    """None while Cuecast still collects (or never planned to); else the reason and the date of
    the last collection, which reports show next to the figures."""
    poll = MetricPoll.objects.filter(target_id=target_id, target__post__workspace=workspace).first()
    if poll is None or poll.next_poll_at is not None or not poll.final_reason:
        return None
    last = poll.last_polled_at or _last_snapshot_at(target_id)
    return FinalAsOf(FinalReason(poll.final_reason), last, workspace.timezone)


def _last_snapshot_at(target_id: int) -> datetime | None:
    return (
        PostMetricSnapshot.objects.filter(target_id=target_id)
        .order_by("-taken_at")
        .values_list("taken_at", flat=True)
        .first()
    )


def latest_snapshot(workspace: Workspace, target_id: int) -> PostMetricSnapshot | None:
    return (
        PostMetricSnapshot.objects.filter(target_id=target_id, target__post__workspace=workspace)
        .order_by("-taken_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class CallsAgainstPlan:
    target_id: int
    planned: int  # calls the plan makes up to `until`
    made: int  # metric calls in the ledger for the target


def calls_against_plan(workspace: Workspace, target_id: int, until: datetime) -> CallsAgainstPlan:
    """The ledger's metric calls for a target next to what its plan makes by `until`."""
    target = _target(workspace, target_id)
    if target is None:
        return CallsAgainstPlan(target_id, 0, 0)
    made = ApiCall.objects.filter(
        workspace=workspace, target_id=target_id, purpose=CallPurpose.METRICS
    ).count()
    return CallsAgainstPlan(target_id, plan.planned_calls(target, until), made)
