"""Write the calls recorded by `cuecast.http.call_scope` to the ledger, and count them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db.models import Count

from cuecast.compliance.models import ApiCall
from cuecast.http import CallScope, call_scope


def record_calls(scopes: Iterable[CallScope]) -> int:
    """Append every call of these scopes to the ledger (one INSERT per batch). Returns how many."""
    rows = [
        ApiCall(
            at=call.started_at,
            network=scope.network,
            purpose=scope.purpose,
            workspace_id=scope.workspace_id,
            channel_id=scope.channel_id,
            target_id=scope.target_id,
            method=call.method[:8],
            host=call.host[:200],
            path=call.path[:500],
            status=call.status,
        )
        for scope in scopes
        for call in scope.calls
    ]
    ApiCall.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@contextmanager
def recording(
    network: str,
    purpose: str,
    *,
    workspace_id: int | None = None,
    channel_id: int | None = None,
    target_id: int | None = None,
) -> Iterator[CallScope]:
    """`http.call_scope` that writes its calls to the ledger when the block ends, failed or not
    (a call that failed still counted against the network's caps). For sync code outside the
    dispatcher: a connect flow, a campaign sync. Ids learnt inside (the channel just saved) may be
    set on the yielded scope."""
    with call_scope(
        network, purpose, workspace_id=workspace_id, channel_id=channel_id, target_id=target_id
    ) as scope:
        try:
            yield scope
        finally:
            record_calls([scope])


def count_calls(
    *,
    since: datetime,
    until: datetime | None = None,
    network: str | None = None,
    purpose: str | None = None,
    workspace_id: int | None = None,
    channel_id: int | None = None,
) -> int:
    calls = ApiCall.objects.filter(at__gte=since)
    if until is not None:
        calls = calls.filter(at__lt=until)
    if network is not None:
        calls = calls.filter(network=network)
    if purpose is not None:
        calls = calls.filter(purpose=purpose)
    if workspace_id is not None:
        calls = calls.filter(workspace_id=workspace_id)
    if channel_id is not None:
        calls = calls.filter(channel_id=channel_id)
    return calls.count()


def counts_by_network(
    since: datetime, workspace_id: int | None = None
) -> dict[tuple[str, str], int]:
    """(network, purpose) → calls since a time; the usage page and the metrics endpoint read this."""
    calls = ApiCall.objects.filter(at__gte=since)
    if workspace_id is not None:
        calls = calls.filter(workspace_id=workspace_id)
    return {
        (row["network"], row["purpose"]): row["n"]
        for row in calls.values("network", "purpose").annotate(n=Count("id"))
    }
