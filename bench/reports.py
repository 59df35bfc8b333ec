"""Reports at scale: a workspace with 100,000 published targets and a year of daily figures.

Each target gains figures on 30 days after it is published (publish times spread over the last
year), so `PostMetricDay` holds about three million rows; one campaign ("Always on") carries a
tenth of the targets and a year of paid days, 39 others a share each; 1,000 targets have a full
set of snapshots. On PostgreSQL the bench then times whole page renders (selectors, chart JSON,
HTML) through Django's request handling, as a signed-in member would load them, against the
target of one second (issue #6). The composer (best-time hints) and the exports are context.

Rows go in with INSERT … SELECT (the collector's rows are derived, so the bench writes them the
way a year of collection would have left them).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench import workload
from bench.harness import Session
from bench.table import Row, check

FULL_TARGETS = 100_000
QUICK_TARGETS = 10_000
ACTIVE_DAYS = 30  # days on which a target gains figures after it is published
CAMPAIGNS = 40
SAMPLED = 1_000  # targets with a full set of snapshots (the post page's curves)
NETWORKS = ("x", "mastodon", "linkedin", "facebook", "instagram", "bluesky", "threads")
TARGET_SECONDS = 1.0
RUNS = 5


def run(session: Session) -> list[Row]:
    env = session.environment()
    env.fresh_start()
    count = QUICK_TARGETS if session.quick else FULL_TARGETS
    started = time.monotonic()
    world = build(count)
    built = time.monotonic() - started
    rows = measure(world)
    rows.insert(
        0,
        Row(
            "reports",
            f"data: {count:,} published targets, a year of days",
            world["metric_days"],
            "rows",
            note=f"PostMetricDay rows, built in {built:.0f} s; {world['snapshots']:,} snapshots",
        ),
    )
    return rows


# -- the data -------------------------------------------------------------------------------------


def build(count: int) -> dict[str, Any]:
    from cuecast.accounts.models import User
    from cuecast.accounts.services import create_workspace
    from cuecast.channels.models import Channel

    owner = User.objects.create_user("bench-owner")  # signed in with force_login
    workspace = create_workspace(slug="reports", name="Reports at scale", owner=owner)
    channels = Channel.objects.bulk_create(
        Channel(
            workspace=workspace,
            network=network,
            external_id=f"{network}-{n}",
            handle=f"@bench_{network}_{n}",
            display_name=f"Bench {network} {n}",
        )
        for network in NETWORKS
        for n in (1, 2)
    )
    campaigns = _campaigns(workspace)
    batch = workload.insert_targets([c.pk for c in channels], count)
    _publish_over_a_year(batch)
    days = _metric_days(batch, workspace.pk, [c.pk for c in campaigns])
    snapshots = _snapshots(batch)
    _channel_days(channels)
    _analyze()
    return {
        "owner": owner,
        "workspace": workspace,
        "campaign": campaigns[0],
        "post_id": _sampled_post(batch),
        "metric_days": days,
        "snapshots": snapshots,
    }


def _campaigns(workspace: Any) -> list[Any]:
    """ "Always on" runs the whole year; the others run 60 days each, spread over it."""
    from cuecast.campaigns.models import Campaign, PaidMetricDaily

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    flights = [(today - timedelta(days=365), None)] + [
        (today - timedelta(days=365 - 9 * n), today - timedelta(days=305 - 9 * n))
        for n in range(CAMPAIGNS - 1)
    ]
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            workspace=workspace,
            name="Always on" if n == 0 else f"Flight {n}",
            starts_at=start,
            ends_at=end,
            timezone="Europe/Berlin",
            currency="EUR",
        )
        for n, (start, end) in enumerate(flights)
    )
    paid = [
        PaidMetricDaily(
            campaign=campaign,
            day=(start + timedelta(days=d)).date(),
            impressions=5_000 + d * 7 % 900,
            clicks=100 + d % 40,
            spend=Decimal("40.00") + Decimal(d % 13),
            currency="EUR",
        )
        for campaign, (start, end) in zip(campaigns, flights, strict=True)
        for d in range(((end or today) - start).days)
    ]
    PaidMetricDaily.objects.bulk_create(paid, batch_size=5_000)
    return campaigns


def _publish_over_a_year(batch: workload.Batch) -> None:
    """Published at every hour of every weekday over the last 365 days (deterministic)."""
    _sql(
        "UPDATE posts_target SET state = 'published', next_attempt_at = NULL, "
        "published_at = date_trunc('hour', now()) - ((id %% 365) * interval '1 day') "
        "- (((id * 7) %% 24) * interval '1 hour') - (((id * 13) %% 60) * interval '1 minute'), "
        "external_id = 'bench-' || id WHERE id BETWEEN %s AND %s",
        [batch.lo, batch.hi],
    )
    _sql(
        "UPDATE posts_target SET due_at = published_at WHERE id BETWEEN %s AND %s",
        [batch.lo, batch.hi],
    )


def _metric_days(batch: workload.Batch, workspace_id: int, campaign_ids: list[int]) -> int:
    """30 days of gains per target from its publish day, fading, never after today. A tenth of the
    targets are on "Always on", the rest spread over the other campaigns. Rows go in day by day,
    as a year of collection leaves them on disk."""
    _sql(
        "INSERT INTO analytics_postmetricday (target_id, workspace_id, channel_id, network, "
        "campaign_id, day, impressions, reach, likes, comments, reposts, clicks, saves, video_views) "
        "SELECT t.id, %s, t.channel_id, c.network, "
        "CASE WHEN t.id %% 10 = 0 THEN (%s::bigint[])[1] "
        "ELSE (%s::bigint[])[2 + (t.id / 10) %% %s] END, "
        "(t.published_at AT TIME ZONE 'Europe/Berlin')::date + g.n, "
        "CASE WHEN c.network = 'mastodon' THEN NULL ELSE 2000 / (g.n + 1) + t.id %% 97 END, "
        "NULL, 60 / (g.n + 1) + t.id %% 5, 10 / (g.n + 1), 8 / (g.n + 1), "
        "CASE WHEN c.network = 'mastodon' THEN NULL ELSE 30 / (g.n + 1) END, "
        "CASE WHEN c.network IN ('x', 'instagram') THEN 3 / (g.n + 1) ELSE NULL END, NULL "
        "FROM posts_target t JOIN channels_channel c ON c.id = t.channel_id "
        "CROSS JOIN generate_series(0, %s) AS g(n) "
        "WHERE t.id BETWEEN %s AND %s "
        "AND (t.published_at AT TIME ZONE 'Europe/Berlin')::date + g.n "
        "<= (now() AT TIME ZONE 'Europe/Berlin')::date "
        # In the order the collector writes them: day by day (rows of a day lie together).
        "ORDER BY 6, 1",
        [
            workspace_id,
            campaign_ids,
            campaign_ids,
            len(campaign_ids) - 1,
            ACTIVE_DAYS - 1,
            batch.lo,
            batch.hi,
        ],
    )
    from cuecast.analytics.models import PostMetricDay

    return PostMetricDay.objects.count()


def _snapshots(batch: workload.Batch) -> int:
    """The sampled targets' readings on the collector's plan: +15 min … +24 h, then daily."""
    hours = [0.25, 1.0, 3.0, 6.0, 12.0, *(24.0 * d for d in range(1, ACTIVE_DAYS))]
    _sql(
        "INSERT INTO analytics_postmetricsnapshot (target_id, taken_at, raw, impressions, reach, "
        "likes, comments, reposts, clicks, saves, video_views) "
        "SELECT t.id, t.published_at + h * interval '1 hour', '{}'::jsonb, "
        "(400 * ln(2 + h))::bigint, NULL, (12 * ln(2 + h))::bigint, (2 * ln(2 + h))::bigint, "
        "ln(2 + h)::bigint, (5 * ln(2 + h))::bigint, NULL, NULL "
        "FROM posts_target t CROSS JOIN unnest(%s::float8[]) AS h "
        "WHERE t.id BETWEEN %s AND %s AND t.published_at + h * interval '1 hour' < now()",
        [hours, batch.lo, batch.lo + SAMPLED - 1],
    )
    from cuecast.analytics.models import PostMetricSnapshot

    return PostMetricSnapshot.objects.count()


def _sampled_post(batch: workload.Batch) -> int:
    from cuecast.posts.models import Target

    return Target.objects.get(pk=batch.lo).post_id


def _channel_days(channels: list[Any]) -> None:
    from cuecast.analytics.models import ChannelMetricDay

    today = datetime.now(UTC).date()
    ChannelMetricDay.objects.bulk_create(
        ChannelMetricDay(
            channel=channel,
            workspace_id=channel.workspace_id,
            day=today - timedelta(days=d),
            followers=20_000 - d * 11,
            taken_at=datetime.now(UTC) - timedelta(days=d),
        )
        for channel in channels
        for d in range(365)
    )


def _sql(statement: str, params: list[Any]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# -- the measurements -----------------------------------------------------------------------------


def measure(world: dict[str, Any]) -> list[Row]:
    from django.core.cache import cache
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(world["owner"])
    slug, campaign = world["workspace"].slug, world["campaign"].pk
    report = f"/w/{slug}/campaigns/{campaign}/report/"
    pages = [
        ("campaign report, whole run (a year of days)", report, True),
        (
            "campaign report, 28 days, one network, compared",
            f"{report}?period=28d&network=x&compare=1",
            True,
        ),
        ("workspace overview, 28 days", f"/w/{slug}/analytics/", True),
        (
            "workspace overview, 90 days, compared",
            f"/w/{slug}/analytics/?period=90d&compare=1",
            True,
        ),
        (
            "best time heatmap (LinkedIn), kept for the hour",
            f"/w/{slug}/analytics/best-time/?network=linkedin",
            True,
        ),
        ("channel report, 28 days", f"/w/{slug}/channels/{_channel(world)}/report/", True),
        ("post page with its curves", f"/w/{slug}/posts/{world['post_id']}/", False),
        ("composer (suggestions come after the page)", f"/w/{slug}/compose/", False),
        ("campaign report as XLSX, whole run", f"{report}export.xlsx", False),
    ]
    rows = [_time_page(client, name, url, is_target) for name, url, is_target in pages]
    # Best time sums a year of the workspace's figures once an hour per process (then cached):
    # the first view of the hour, and the composer's suggestions for every network.
    cold = [
        (
            "best time heatmap (LinkedIn), first view of the hour",
            f"/w/{slug}/analytics/best-time/?network=linkedin",
            True,
        ),
        (
            "composer's suggestions (every network), first of the hour",
            f"/w/{slug}/analytics/best-time/hints",
            False,
        ),
    ]
    rows += [
        _time_page(client, name, url, is_target, before=cache.clear)
        for name, url, is_target in cold
    ]
    return rows


def _channel(world: dict[str, Any]) -> int:
    from cuecast.channels.models import Channel

    return Channel.objects.filter(workspace=world["workspace"], network="x").values_list(
        "pk", flat=True
    )[0]


def _time_page(client: Any, name: str, url: str, is_target: bool, before: Any = None) -> Row:
    response = client.get(url)  # warm: Plotly's validators, templates, the database's caches
    if response.status_code != 200:
        return Row(
            "reports",
            name,
            None,
            "ms",
            "≤ 1,000 ms",
            check(None),
            note=f"HTTP {response.status_code}",
        )
    times = []
    for _run in range(RUNS):
        if before is not None:
            before()
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    median, worst = statistics.median(times), max(times)
    return Row(
        "reports",
        name,
        median * 1000,
        "ms",
        "≤ 1,000 ms" if is_target else "",
        check(median, at_most=TARGET_SECONDS) if is_target else "",
        note=f"median of {RUNS}, slowest {worst * 1000:.0f} ms; {len(response.content) // 1024} KB",
    )
