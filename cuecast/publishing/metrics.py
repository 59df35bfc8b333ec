"""Prometheus metrics: what this process did, and what the database says is waiting.

Two kinds (docs/operations.md, "Running N workers and what to watch"):
- Process counters and histograms (`record_*` below), kept by each worker for its own work and
  served by its `--metrics-port`. In `cuecast run` the web endpoint serves them too, because the
  worker runs in the same process.
- `DatabaseCollector`: gauges computed from the database at scrape time (due and not claimed,
  held by cause, unconfirmed, API calls in the last hour...). They describe the whole fleet, so
  only the web endpoint serves them: every worker serving them would count the same rows N times.

Scrapes are guarded the same way everywhere (`scrape_allowed`): with `CUECAST_METRICS_TOKEN` set,
only `Authorization: Bearer <token>`; without it, only clients on the loopback interface.
"""

from __future__ import annotations

import hmac
import importlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.db import DatabaseError, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from prometheus_client import (
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    make_wsgi_app,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector

from cuecast import config
from cuecast.compliance.models import ApiCall
from cuecast.posts.models import Target, TargetState

log = logging.getLogger("cuecast.metrics")

# A `_created` series beside every counter and histogram doubles the output and tells an operator
# nothing a restart's `process_start_time_seconds` does not.
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream

# --- what this process did (the dispatcher calls these) -----------------------------------------

# "On time" means within a second (p99 ≤ 1 s): fine buckets up to a few seconds, then coarse ones
# for posts sent after a retry, a hold or an outage.
LATENESS_BUCKETS = (
    0.05,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.0,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
)

_claimed = Counter(
    "cuecast_targets_claimed", "Targets this worker claimed, by kind of work.", ["kind"]
)
_outcomes = Counter(
    "cuecast_target_outcomes",
    "Outcomes this worker recorded, by network and the state the target went to.",
    ["network", "state"],
)
_lateness = Histogram(
    "cuecast_publish_lateness_seconds",
    "How long after its due time a post was published.",
    ["network"],
    buckets=LATENESS_BUCKETS,
)
_budget_waits = Counter(
    "cuecast_rate_budget_waits",
    "Targets put back to wait because the network's rate budget was spent.",
    ["network"],
)
_batch_seconds = Histogram(
    "cuecast_batch_seconds",
    "How long one claimed batch took, claim to last outcome recorded.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0),
)
_batch_size = Histogram(
    "cuecast_batch_size",
    "How many targets one batch held.",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)


def record_claimed(n: int, kind: str) -> None:
    """`kind`: publish | reconcile."""
    if n > 0:
        _claimed.labels(kind=kind).inc(n)


def record_outcome(network: str, state: str, lateness_seconds: float | None = None) -> None:
    """One recorded outcome. Pass `lateness_seconds` (published_at - due_at) for publishes only."""
    _outcomes.labels(network=network, state=state).inc()
    if lateness_seconds is not None:
        _lateness.labels(network=network).observe(max(lateness_seconds, 0.0))


def record_budget_wait(network: str, n: int = 1) -> None:
    if n > 0:
        _budget_waits.labels(network=network).inc(n)


def record_batch(seconds: float, size: int) -> None:
    _batch_seconds.observe(seconds)
    _batch_size.observe(size)


# --- what the database says (computed at scrape time) ------------------------------------------

FAILED_WINDOW = timedelta(hours=24)
CALLS_WINDOW = timedelta(hours=1)
COMING_WINDOW = timedelta(hours=1)
OPEN_STATES = (
    TargetState.SCHEDULED,
    TargetState.PUBLISHING,
    TargetState.HELD,
    TargetState.UNCONFIRMED,
)
# Split by network: states whose rows are few by nature (in flight, waiting on a person or a cause).
# "scheduled" is split only for the coming hour: a year of queued posts must not cost a scrape.
SMALL_STATES = (TargetState.PUBLISHING, TargetState.HELD, TargetState.UNCONFIRMED)


class BudgetUsage(Protocol):
    """What `cuecast.publishing.budgets.usage(now)` returns, one per budget (and the end of its
    window, see `_window_end`)."""

    network: str
    scope: str
    name: str
    limit: float
    used: float


def _gauge(name: str, documentation: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def _by_network(
    targets: QuerySet[Target], *fields: str, **counts: Count
) -> Iterable[dict[str, Any]]:
    # order_by(): the model's ordering columns must not join the GROUP BY.
    rows: Iterable[dict[str, Any]] = (
        targets.order_by().values("channel__network", *fields).annotate(**counts)
    )
    return rows


def _target_metrics(now: datetime) -> Iterator[Metric]:
    """Every query filters on `state` first, so it reads the (state, next_attempt_at) or
    (state, lease_expires_at) index; only open states, whose rows are few, are read row by row."""
    yield _open_totals()
    yield from _small_states_by_network()
    yield from _due_by_network(now)
    yield from _stuck(now)


def _open_totals() -> Metric:
    gauge = _gauge("cuecast_targets_open", "Targets in each open state, all networks.", ["state"])
    rows = (
        Target.objects.filter(state__in=OPEN_STATES)
        .order_by()
        .values("state")
        .annotate(n=Count("id"))  # the state indexes answer this without reading rows
    )
    counted = {row["state"]: row["n"] for row in rows}
    for state in OPEN_STATES:
        gauge.add_metric([state], counted.get(state, 0))
    return gauge


def _small_states_by_network() -> Iterator[Metric]:
    states = _gauge(
        "cuecast_targets",
        "Targets publishing, held or unconfirmed, by network.",
        ["network", "state"],
    )
    held = _gauge(
        "cuecast_targets_held", "Held targets, by network and cause.", ["network", "cause"]
    )
    rows = _by_network(
        Target.objects.filter(state__in=SMALL_STATES), "state", "hold", n=Count("id")
    )
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["channel__network"], row["state"])
        totals[key] = totals.get(key, 0) + row["n"]
        if row["state"] == TargetState.HELD:
            held.add_metric([row["channel__network"], row["hold"] or "unknown"], row["n"])
    for labels, n in sorted(totals.items()):
        states.add_metric(list(labels), n)
    yield from (states, held)


def _due_by_network(now: datetime) -> Iterator[Metric]:
    due = _gauge(
        "cuecast_targets_due", "Targets due now that no worker has claimed yet.", ["network"]
    )
    coming = _gauge(
        "cuecast_targets_due_next_hour",
        "Scheduled targets that fall due within the next hour.",
        ["network"],
    )
    rows = _by_network(
        Target.objects.filter(
            state=TargetState.SCHEDULED, next_attempt_at__lte=now + COMING_WINDOW
        ),
        due=Count("id", filter=Q(next_attempt_at__lte=now)),
        coming=Count("id", filter=Q(next_attempt_at__gt=now)),
    )
    for row in rows:
        due.add_metric([row["channel__network"]], row["due"])
        coming.add_metric([row["channel__network"]], row["coming"])
    oldest = Target.objects.filter(state=TargetState.SCHEDULED, next_attempt_at__lte=now).aggregate(
        oldest=Min("next_attempt_at")
    )["oldest"]
    yield from (due, coming)
    yield GaugeMetricFamily(
        "cuecast_targets_due_oldest_seconds",
        "How long the longest-waiting due target has waited to be claimed (0: none waiting).",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )


def _stuck(now: datetime) -> Iterator[Metric]:
    """Targets that need a person or point at a dead worker, and recent failures."""
    unchecked = Target.objects.filter(state=TargetState.UNCONFIRMED, next_attempt_at__isnull=True)
    yield _network_gauge(
        "cuecast_targets_needing_check",
        "Unconfirmed targets Cuecast has stopped checking: a person must look at the channel.",
        unchecked,
    )
    yield GaugeMetricFamily(
        "cuecast_targets_lease_expired",
        "Targets still publishing after their worker's lease ran out (a worker died).",
        value=Target.objects.filter(state=TargetState.PUBLISHING, lease_expires_at__lt=now).count(),
    )
    # Final state, so not from the open-state index: fine while failures stay a small share.
    failed = Target.objects.filter(state=TargetState.FAILED, updated_at__gte=now - FAILED_WINDOW)
    yield _network_gauge(
        "cuecast_targets_failed_recently", "Targets that failed in the last 24 hours.", failed
    )


def _network_gauge(name: str, documentation: str, targets: QuerySet[Target]) -> Metric:
    gauge = _gauge(name, documentation, ["network"])
    for row in _by_network(targets, n=Count("id")):
        gauge.add_metric([row["channel__network"]], row["n"])
    return gauge


def _known_networks() -> list[str]:
    from cuecast.campaigns.sources import registry as ad_sources
    from cuecast.networks import registry

    return sorted({*registry.networks(), *ad_sources.sources()})


def status_class(status: int) -> str:
    """429 on its own (a network asking Cuecast to slow down); `none`: no answer came."""
    if status == 0:
        return "none"
    if status == 429:
        return "429"
    return f"{status // 100}xx"


def _call_metrics(now: datetime) -> Metric:
    """Calls in the last hour from the ledger: `network IN (...) AND at >= ...` reads the
    (network, at) index, one short range per network."""
    gauge = _gauge(
        "cuecast_api_calls_last_hour",
        "Calls Cuecast made to networks and ad platforms in the last hour (the API call ledger).",
        ["network", "purpose", "status"],
    )
    rows = (
        ApiCall.objects.filter(network__in=_known_networks(), at__gte=now - CALLS_WINDOW)
        .order_by()
        .values("network", "purpose", "status")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        key = (row["network"], row["purpose"], status_class(row["status"]))
        counts[key] = counts.get(key, 0) + row["n"]
    for labels, n in sorted(counts.items()):
        gauge.add_metric(list(labels), n)
    return gauge


def _budget_usage(now: datetime) -> list[BudgetUsage]:
    """The rate budgets' use, once `cuecast.publishing.budgets` exists; nothing until then."""
    try:
        budgets = importlib.import_module("cuecast.publishing.budgets")
    except ModuleNotFoundError as exc:
        if exc.name != "cuecast.publishing.budgets":
            log.warning("rate budgets not available for metrics: %s", exc)
        return []
    usage: Callable[[datetime], list[BudgetUsage]] | None = getattr(budgets, "usage", None)
    if usage is None:
        return []
    with transaction.atomic():  # a failed query rolls back to here, not the caller's transaction
        return usage(now)


def _window_end(budget: BudgetUsage) -> datetime | None:
    for name in ("window_end", "window_ends_at"):  # budgets.py's name, and the one first agreed
        value = getattr(budget, name, None)
        if isinstance(value, datetime):
            return value
    return None


def _budget_metrics(now: datetime) -> Iterator[Metric]:
    labels = ["network", "scope", "name"]
    limit = _gauge("cuecast_rate_budget_limit", "Calls a rate budget allows per window.", labels)
    used = _gauge("cuecast_rate_budget_used", "Calls spent from a rate budget.", labels)
    ends = _gauge(
        "cuecast_rate_budget_window_end_timestamp_seconds",
        "When a rate budget's current window ends (Unix time).",
        labels,
    )
    for budget in _budget_usage(now):
        names = [str(budget.network), str(budget.scope), str(budget.name)]
        limit.add_metric(names, float(budget.limit))
        used.add_metric(names, float(budget.used))
        window_end = _window_end(budget)
        if window_end is not None:
            ends.add_metric(names, window_end.timestamp())
    yield from (limit, used, ends)


class DatabaseCollector(Collector):
    """Fleet-wide gauges from the database. A broken database or budget module must not break
    the scrape: the process metrics still answer, and `cuecast_metrics_database_up` says 0."""

    def collect(self) -> Iterable[Metric]:
        started = time.perf_counter()
        now = timezone.now()
        try:
            metrics = [*_target_metrics(now), _call_metrics(now)]
            up = 1.0
        except DatabaseError:
            log.exception("metrics: the database did not answer")
            metrics, up = [], 0.0
        try:
            metrics.extend(_budget_metrics(now))
        except Exception:  # another module's bug must not cost the operator every other gauge
            log.exception("metrics: the rate budgets could not be read")
        yield from metrics
        yield GaugeMetricFamily(
            "cuecast_metrics_database_up", "1 when the database answered this scrape.", value=up
        )
        yield GaugeMetricFamily(
            "cuecast_metrics_collect_seconds",
            "How long computing the database gauges took.",
            value=time.perf_counter() - started,
        )


class WebCollector(Collector):
    """What `/metrics` serves: this process's metrics (in `cuecast run`, the in-process worker's
    counters too) and the database gauges."""

    def __init__(self) -> None:
        self._database = DatabaseCollector()

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
        yield from self._database.collect()


# --- who may scrape ----------------------------------------------------------------------------

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def scrape_allowed(environ: dict[str, Any], token: str) -> bool:
    """With a token: the request must carry it as a bearer token. Without: the client must be on
    loopback, and not behind a proxy (a proxy on this machine makes every client look local)."""
    if token:
        given = str(environ.get("HTTP_AUTHORIZATION", ""))
        scheme, _space, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode()
        )
    if any(environ.get(header) for header in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(str(environ.get("REMOTE_ADDR", ""))).is_loopback
    except ValueError:
        return False


def refusal(token: str) -> tuple[int, str]:
    """The status and sentence for a scrape `scrape_allowed` refused."""
    if token:
        return 401, _("The metrics need the bearer token set in CUECAST_METRICS_TOKEN.")
    return 403, _(
        "The metrics answer only on this machine. Set CUECAST_METRICS_TOKEN to scrape them "
        "from elsewhere."
    )


# --- a worker's own endpoint -------------------------------------------------------------------

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _guarded(app: WsgiApp, token: str) -> WsgiApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if scrape_allowed(environ, token):
            return app(environ, start_response)
        status, message = refusal(token)
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        if status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="cuecast-metrics"'))
        start_response(f"{status} {'Unauthorized' if status == 401 else 'Forbidden'}", headers)
        return [message.encode()]

    return guarded


def _is_loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Prometheus scrapes every few seconds; a line for each would drown the log."""


def serve(port: int, host: str | None = None) -> ThreadingWSGIServer:
    """Serve this process's metrics on `host:port` (default `CUECAST_METRICS_HOST`) from a daemon
    thread; `server.shutdown()` stops it. Port 0 picks a free port (`server.server_port`)."""
    settings = config.load()
    host = host or settings.metrics_host
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]

    class Server(ThreadingWSGIServer):
        address_family = family

    app = _guarded(make_wsgi_app(REGISTRY), settings.metrics_token)
    server = make_server(host, port, app, Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    if not settings.metrics_token and not _is_loopback_address(host):
        log.warning(
            "metrics on %s:%s answer only local clients: set CUECAST_METRICS_TOKEN to scrape "
            "them from elsewhere",
            host,
            server.server_port,
        )
    return server
