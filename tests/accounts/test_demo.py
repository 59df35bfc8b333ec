"""The demo workspace `make run` creates: a person, and a sandbox channel on every network."""

from __future__ import annotations

from cuecast.accounts.demo import DEMO_SLUG, ensure_demo_user, ensure_demo_workspace
from cuecast.accounts.models import Membership
from cuecast.channels.models import Channel
from cuecast.networks import registry


def test_demo_has_a_channel_per_network_and_is_idempotent(sandbox, db) -> None:
    workspace = ensure_demo_workspace(sandbox.url)
    assert workspace.slug == DEMO_SLUG
    assert sorted(Channel.objects.values_list("network", flat=True)) == sorted(registry.keys())
    login = ensure_demo_user()
    assert (
        Membership.objects.get(workspace=workspace, user__username=login.username).role == "owner"
    )

    Channel.objects.filter(network="bluesky").delete()  # as if Bluesky came in a later version
    ensure_demo_workspace(sandbox.url)
    ensure_demo_workspace(sandbox.url)
    assert sorted(Channel.objects.values_list("network", flat=True)) == sorted(registry.keys())
