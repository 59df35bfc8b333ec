"""Accounts on demand: every social network's emulator creates a user through the control API,
and that user's minted tokens really post, under the new account's name."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sandbox_test_helpers import bearer

from sandbox.testing import RunningSandbox

LINKEDIN_HEADERS = {"LinkedIn-Version": "202601", "X-Restli-Protocol-Version": "2.0.0"}
NETWORKS = ("x", "mastodon", "bluesky", "linkedin", "facebook", "instagram", "threads")

Poster = Callable[[RunningSandbox, httpx.Client, dict[str, Any], dict[str, Any], str], None]


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, (response.status_code, response.text)
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def _x(
    sb: RunningSandbox, http: httpx.Client, _: dict[str, Any], tok: dict[str, Any], text: str
) -> None:
    _ok(http.post(f"{sb.url}/x/2/tweets", json={"text": text}, headers=bearer(tok["access_token"])))


def _mastodon(
    sb: RunningSandbox, http: httpx.Client, _: dict[str, Any], tok: dict[str, Any], text: str
) -> None:
    url = f"{sb.url}/mastodon/api/v1/statuses"
    _ok(http.post(url, json={"status": text}, headers=bearer(tok["access_token"])))


def _bluesky(
    sb: RunningSandbox, http: httpx.Client, acct: dict[str, Any], tok: dict[str, Any], text: str
) -> None:
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-23T10:00:00.000Z"}
    _ok(
        http.post(
            f"{sb.url}/bluesky/xrpc/com.atproto.repo.createRecord",
            json={"repo": acct["did"], "collection": "app.bsky.feed.post", "record": record},
            headers=bearer(tok["accessJwt"]),
        )
    )


def _linkedin(
    sb: RunningSandbox, http: httpx.Client, acct: dict[str, Any], tok: dict[str, Any], text: str
) -> None:
    assert tok["organizations"] == [acct["organization"]["urn"]]
    body = {
        "author": acct["organization"]["urn"],
        "commentary": text,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    headers = {**bearer(tok["access_token"]), **LINKEDIN_HEADERS}
    _ok(http.post(f"{sb.url}/linkedin/rest/posts", json=body, headers=headers))


def _facebook(
    sb: RunningSandbox, http: httpx.Client, acct: dict[str, Any], tok: dict[str, Any], text: str
) -> None:
    assert tok["page_id"] == acct["page_id"]
    url = f"{sb.url}/facebook/v21.0/{acct['page_id']}/feed"
    _ok(http.post(url, data={"message": text, "access_token": tok["page_access_token"]}))


def _finished(http: httpx.Client, url: str, token: str, field: str) -> None:
    """Wait for a Meta container to leave IN_PROGRESS (processing runs on the sandbox clock)."""
    deadline = time.monotonic() + 10
    while True:
        body = _ok(http.get(url, params={"fields": field, "access_token": token}))
        if body[field] != "IN_PROGRESS" or time.monotonic() > deadline:
            assert body[field] == "FINISHED", body
            return
        time.sleep(0.05)


def _instagram(
    sb: RunningSandbox, http: httpx.Client, acct: dict[str, Any], tok: dict[str, Any], text: str
) -> None:
    base, token = f"{sb.url}/instagram/v21.0", tok["access_token"]
    image = f"{sb.url}/instagram/_files/photo.jpg"
    created = http.post(
        f"{base}/{acct['ig_user_id']}/media",
        data={"image_url": image, "caption": text, "access_token": token},
    )
    container = _ok(created)["id"]
    _finished(http, f"{base}/{container}", token, "status_code")
    publish = {"creation_id": container, "access_token": token}
    _ok(http.post(f"{base}/{acct['ig_user_id']}/media_publish", data=publish))


def _threads(
    sb: RunningSandbox, http: httpx.Client, acct: dict[str, Any], tok: dict[str, Any], text: str
) -> None:
    base, token = f"{sb.url}/threads/v1.0", tok["access_token"]
    created = http.post(
        f"{base}/{acct['id']}/threads",
        data={"media_type": "TEXT", "text": text, "access_token": token},
    )
    container = _ok(created)["id"]
    _finished(http, f"{base}/{container}", token, "status")
    publish = {"creation_id": container, "access_token": token}
    _ok(http.post(f"{base}/{acct['id']}/threads_publish", data=publish))


POSTERS: dict[str, Poster] = {
    "x": _x,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "linkedin": _linkedin,
    "facebook": _facebook,
    "instagram": _instagram,
    "threads": _threads,
}


@pytest.mark.parametrize("network", NETWORKS)
def test_a_new_account_posts_under_its_own_name(
    sb: RunningSandbox, http: httpx.Client, network: str
) -> None:
    sb.control.config("instagram", image_processing_seconds=0)
    username = "chaos-007" if network == "bluesky" else "chaos_007"
    account = sb.control.add_account(network, username, name="Chaos Seven")
    assert account["network"] == network and account["tokens"]
    tokens = sb.control.tokens(network, **account["tokens"])

    text = f"First words of Chaos Seven on {network}"  # no "_": LinkedIn would cut the text there
    POSTERS[network](sb, http, account, tokens, text)

    # The received log names the poster as the network does: Facebook posts are the Page's,
    # LinkedIn's are logged under the member who wrote them.
    poster = {"facebook": account.get("page_id"), "linkedin": account.get("member_urn")}
    poster_id = poster.get(network) or account["id"]
    received = sb.control.received(network, poster_id)
    assert [(p["text"], p["user_id"]) for p in received] == [(text, poster_id)]


@pytest.mark.parametrize("network", NETWORKS)
def test_names_are_checked_and_never_given_twice(sb: RunningSandbox, network: str) -> None:
    taken = "taken-one" if network == "bluesky" else "taken_one"
    sb.control.add_account(network, taken)
    with pytest.raises(httpx.HTTPStatusError) as again:
        sb.control.add_account(network, taken)
    assert again.value.response.status_code == 409
    with pytest.raises(httpx.HTTPStatusError) as bad:
        sb.control.add_account(network, "no spaces allowed")
    assert bad.value.response.status_code == 400
    assert "username must be" in bad.value.response.json()["error"]


def test_without_a_name_each_call_gets_a_fresh_account(sb: RunningSandbox) -> None:
    first, second = sb.control.add_account("x"), sb.control.add_account("x")
    assert first["username"] != second["username"] and first["id"] != second["id"]
    ids = {sb.control.tokens("x", **a["tokens"])["user_id"] for a in (first, second)}
    assert ids == {first["id"], second["id"]}


def test_many_accounts_per_network_for_load_tests(sb: RunningSandbox) -> None:
    made = [sb.control.add_account("instagram", f"load_{n:02d}") for n in range(30)]
    assert len({a["ig_user_id"] for a in made}) == len({a["page_id"] for a in made}) == 30
    minted = [sb.control.tokens("instagram", **a["tokens"]) for a in made]
    assert [m["ig_user_id"] for m in minted] == [a["ig_user_id"] for a in made]


def test_reset_forgets_accounts_made_on_demand(sb: RunningSandbox) -> None:
    sb.control.add_account("mastodon", "ephemeral")
    sb.control.reset()
    with pytest.raises(httpx.HTTPStatusError) as gone:
        sb.control.tokens("mastodon", "ephemeral")
    assert gone.value.response.status_code == 404


def test_ad_platforms_create_no_accounts(sb: RunningSandbox) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        sb.control.add_account("googleads", "someone")
    assert refused.value.response.status_code == 404
