"""The Mastodon emulator's counts (replies, statuses, last status) kept as statuses come and go:
the same answers as counting every status, without walking them on each post."""

from __future__ import annotations

import httpx
from sandbox_test_helpers import bearer

from sandbox.testing import RunningSandbox


def post(sb: RunningSandbox, http: httpx.Client, token: str, **form: str) -> dict[str, object]:
    answer = http.post(f"{sb.url}/mastodon/api/v1/statuses", data=form, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def account(sb: RunningSandbox, http: httpx.Client, token: str) -> dict[str, object]:
    answer = http.get(
        f"{sb.url}/mastodon/api/v1/accounts/verify_credentials", headers=bearer(token)
    )
    body: dict[str, object] = answer.json()
    return body


def replies_of(sb: RunningSandbox, http: httpx.Client, status_id: object) -> object:
    return http.get(f"{sb.url}/mastodon/api/v1/statuses/{status_id}").json()["replies_count"]


def delete(sb: RunningSandbox, http: httpx.Client, token: str, status_id: object) -> None:
    answer = http.delete(f"{sb.url}/mastodon/api/v1/statuses/{status_id}", headers=bearer(token))
    assert answer.status_code == 200


def test_counts_follow_posts_replies_and_deletes(sb: RunningSandbox, http: httpx.Client) -> None:
    demo = sb.control.tokens("mastodon", "demo")["access_token"]
    other = sb.control.tokens("mastodon", "other")["access_token"]
    assert account(sb, http, demo)["statuses_count"] == 0
    assert account(sb, http, demo)["last_status_at"] is None

    parent = post(sb, http, demo, status="parent")
    reply = post(sb, http, other, status="a reply", in_reply_to_id=str(parent["id"]))
    post(sb, http, other, status="another reply", in_reply_to_id=str(parent["id"]))
    assert replies_of(sb, http, parent["id"]) == 2
    assert account(sb, http, demo)["statuses_count"] == 1
    assert account(sb, http, other)["statuses_count"] == 2
    assert account(sb, http, demo)["last_status_at"] is not None

    delete(sb, http, other, reply["id"])
    assert replies_of(sb, http, parent["id"]) == 1
    assert account(sb, http, other)["statuses_count"] == 1

    delete(sb, http, demo, parent["id"])
    assert account(sb, http, demo)["statuses_count"] == 0
    assert account(sb, http, demo)["last_status_at"] is None  # its only status is gone


def test_a_reset_starts_the_counts_again(sb: RunningSandbox, http: httpx.Client) -> None:
    demo = sb.control.tokens("mastodon", "demo")["access_token"]
    post(sb, http, demo, status="before the reset")
    sb.control.reset()
    demo = sb.control.tokens("mastodon", "demo")["access_token"]
    assert account(sb, http, demo)["statuses_count"] == 0
