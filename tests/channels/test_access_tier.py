"""Recording which access tier a channel's app is on (cuecast.channels.tiers): the choices come from
the network's limits data, an unknown tier is refused in a sentence, every change is audited, and
the channels page and the API both offer it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cuecast.accounts.models import AuditEvent, Role
from cuecast.accounts.permissions import PermissionDenied
from cuecast.accounts.services import Actor, create_api_key
from cuecast.channels import tiers
from cuecast.channels.models import Channel
from cuecast.posts.errors import ValidationFailed
from cuecast.publishing.budgets import rules_for
from tests.api.conftest import Api


@pytest.fixture
def x_channel(workspace: Any) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id="1001",
        handle="acme",
        display_name="ACME on X",
        credentials={"access_token": "t"},
    )


@pytest.fixture
def masto_channel(workspace: Any) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        base_url="https://social.example",
        external_id="2002",
        handle="@acme@social.example",
        display_name="ACME on Mastodon",
        credentials={"access_token": "t"},
    )


def as_role(actor: Actor, role: Role) -> Actor:
    return Actor(actor.workspace, role, user=actor.user)


# --- the choices, from the limits data ------------------------------------------------------------


def test_x_offers_the_tiers_its_limits_know_and_other_networks_none() -> None:
    assert tiers.tiers_of("x") == ("free", "basic", "pro", "pay_per_use")
    assert tiers.assumed_tier("x") == "pay_per_use"
    assert tiers.tier_choices("x")[0] == ("", "Not recorded (Cuecast assumes Pay-per-use)")
    for network in ("facebook", "instagram", "threads", "linkedin", "mastodon", "bluesky"):
        assert tiers.tiers_of(network) == (), network


def test_every_offered_tier_has_limits_of_its_own_in_the_budgets() -> None:
    """What the select offers is what the budgets can tell apart (Free's day is 17 posts)."""
    for tier in tiers.tiers_of("x"):
        assert any(rule.tiers for rule in rules_for("x", tier, "publish")), tier
    free = {r.name: r.limit for r in rules_for("x", "free", "publish")}
    assert free["tweets_24h_user"] == 17


# --- the service ----------------------------------------------------------------------------------


def test_recording_a_tier_stores_it_where_the_budgets_read_it_and_audits_the_change(
    actor: Actor, x_channel: Channel
) -> None:
    change = tiers.set_access_tier(actor, x_channel, "basic")
    assert change.changed
    x_channel.refresh_from_db()
    assert x_channel.settings["access_tier"] == "basic" == x_channel.access_tier
    basic_day = {r.name: r.limit for r in rules_for("x", x_channel.access_tier, "publish")}
    assert basic_day["tweets_24h_user"] == 100  # the budgets now keep to Basic's day
    tiers.set_access_tier(actor, x_channel, "")
    events = AuditEvent.objects.filter(action="channel.access_tier", object_id=str(x_channel.pk))
    assert [(e.data["before"], e.data["after"]) for e in events.order_by("id")] == [
        ("", "basic"),
        ("basic", ""),
    ]
    assert all(e.actor_id == actor.user.pk for e in events)  # type: ignore[union-attr]


def test_an_unknown_tier_is_refused_in_a_sentence_naming_the_choices(
    actor: Actor, x_channel: Channel, masto_channel: Channel
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        tiers.set_access_tier(actor, x_channel, "gold")
    [error] = refused.value.errors
    assert error.field == "access_tier"
    assert error.message == (
        "“gold” is not an access tier of X. Choose one of: free, basic, pro, pay_per_use."
    )
    with pytest.raises(ValidationFailed) as none:
        tiers.set_access_tier(actor, masto_channel, "pro")
    assert none.value.errors[0].message == "Mastodon has no access tiers to choose from."
    x_channel.refresh_from_db()
    assert x_channel.access_tier == ""
    assert not AuditEvent.objects.filter(action="channel.access_tier").exists()


def test_only_those_who_manage_channels_record_tiers(actor: Actor, x_channel: Channel) -> None:
    with pytest.raises(PermissionDenied):
        tiers.set_access_tier(as_role(actor, Role.EDITOR), x_channel, "basic")
    tiers.set_access_tier(as_role(actor, Role.ADMIN), x_channel, "basic")


def test_another_workspaces_channel_is_not_found(
    actor: Actor, x_channel: Channel, owner: Any
) -> None:
    from cuecast.accounts.services import actor_for_user, create_workspace

    other = actor_for_user(owner, create_workspace(slug="beta", name="Beta", owner=owner))
    assert other is not None
    with pytest.raises(Channel.DoesNotExist):
        tiers.set_access_tier(other, x_channel, "basic")


# --- the channels page ----------------------------------------------------------------------------


@pytest.fixture
def signed_in(client: Client, owner: Any, workspace: Any) -> Client:
    client.force_login(owner)
    return client


def test_the_channels_page_offers_a_tier_select_only_where_the_network_has_tiers(
    signed_in: Client, x_channel: Channel, masto_channel: Channel
) -> None:
    html = signed_in.get("/w/acme/channels/").content.decode()
    assert html.count('name="access_tier"') == 1
    assert f'id="id_access_tier_{x_channel.pk}"' in html
    assert '<option value="basic">Basic</option>' in html


def test_saving_a_tier_on_the_page_records_it_and_says_so(
    signed_in: Client, x_channel: Channel
) -> None:
    url = f"/w/acme/channels/{x_channel.pk}/access-tier/"
    response = signed_in.post(url, {"access_tier": "pro"}, follow=True)
    x_channel.refresh_from_db()
    assert x_channel.access_tier == "pro"
    assert "Access tier of ACME on X saved." in response.content.decode()
    assert '<option value="pro" selected>Pro</option>' in response.content.decode()
    bad = signed_in.post(url, {"access_tier": "gold"}, follow=True).content.decode()
    assert "is not an access tier of X. Choose one of: free, basic, pro, pay_per_use." in bad
    x_channel.refresh_from_db()
    assert x_channel.access_tier == "pro"


def test_a_channel_of_another_workspace_is_404_on_the_page(
    signed_in: Client, owner: Any, workspace: Any
) -> None:
    from cuecast.accounts.models import User
    from cuecast.accounts.services import create_workspace

    stranger = User.objects.create_user("mallory", password="another good password")
    other = create_workspace(slug="other", name="Other Co", owner=stranger)
    theirs = Channel.objects.create(
        workspace=other, network="x", external_id="9", handle="o", display_name="Other on X"
    )
    response = signed_in.post(f"/w/acme/channels/{theirs.pk}/access-tier/", {"access_tier": "pro"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.access_tier == ""


# --- the API --------------------------------------------------------------------------------------


@pytest.fixture
def api(actor: Actor) -> Api:
    return Api(create_api_key(actor, name="admin", role=Role.ADMIN)[1])


def test_the_api_shows_and_changes_the_tier(api: Api, x_channel: Channel) -> None:
    shown = api.get(f"/api/v1/channels/{x_channel.pk}").json()
    assert (shown["access_tier"], shown["access_tiers"]) == (
        "",
        ["free", "basic", "pro", "pay_per_use"],
    )
    changed = api.patch(f"/api/v1/channels/{x_channel.pk}", {"access_tier": "basic"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["access_tier"] == "basic"
    x_channel.refresh_from_db()
    assert x_channel.access_tier == "basic"


def test_the_api_refuses_an_unknown_tier_with_the_field_and_a_sentence(
    api: Api, x_channel: Channel, masto_channel: Channel
) -> None:
    response = api.patch(f"/api/v1/channels/{x_channel.pk}", {"access_tier": "gold"})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {
            "field": "access_tier",
            "message": "“gold” is not an access tier of X. Choose one of: free, basic, pro, "
            "pay_per_use.",
        }
    ]
    assert api.get(f"/api/v1/channels/{masto_channel.pk}").json()["access_tiers"] == []
    unknown_field = api.patch(f"/api/v1/channels/{x_channel.pk}", {"tier": "basic"})
    assert unknown_field.status_code == 422


def test_the_api_checks_role_and_workspace(actor: Actor, x_channel: Channel) -> None:
    editor = Api(create_api_key(actor, name="editor", role=Role.EDITOR)[1])
    assert (
        editor.patch(f"/api/v1/channels/{x_channel.pk}", {"access_tier": "pro"}).status_code == 403
    )
    from cuecast.accounts.models import User
    from cuecast.accounts.services import actor_for_user, create_workspace

    bob = User.objects.create_user("bob", password="another horse battery")
    other = actor_for_user(bob, create_workspace(slug="globex", name="Globex", owner=bob))
    assert other is not None
    stranger = Api(create_api_key(other, name="b", role=Role.OWNER)[1])
    assert (
        stranger.patch(f"/api/v1/channels/{x_channel.pk}", {"access_tier": "pro"}).status_code
        == 404
    )
    x_channel.refresh_from_db()
    assert x_channel.access_tier == ""
