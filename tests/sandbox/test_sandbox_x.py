"""X emulator over real HTTP: OAuth 2.0 PKCE, posts, timeline, limits, tiers."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from sandbox_test_helpers import bearer, pkce_pair, query_of

from sandbox.testing import RunningSandbox
from sandbox.x.counting import weighted_length

BASIC = "Basic " + base64.b64encode(b"cuecast-sandbox:cuecast-sandbox-secret").decode()
CALLBACK = "http://127.0.0.1:9/callback"
DEMO_ID = "1849302716458209280"


def authorize(
    sb: RunningSandbox,
    http: httpx.Client,
    scope: str,
    challenge: str,
    method: str = "S256",
    decision: str = "authorize",
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "cuecast-sandbox",
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": method,
    }
    page = http.get(f"{sb.url}/x/i/oauth2/authorize", params=params)
    assert page.status_code == 200
    assert "Authorize app" in page.text and "cuecast_demo" in page.text
    answer = http.post(
        f"{sb.url}/x/i/oauth2/authorize",
        data={**params, "user": "cuecast_demo", "decision": decision},
    )
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return query_of(location)


def exchange(
    sb: RunningSandbox, http: httpx.Client, code: str, verifier: str, basic: bool = True
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "client_id": "cuecast-sandbox",
    }
    headers = {"Authorization": BASIC} if basic else {}
    return http.post(f"{sb.url}/x/2/oauth2/token", data=data, headers=headers)


def refresh(sb: RunningSandbox, http: httpx.Client, token: str) -> httpx.Response:
    return http.post(
        f"{sb.url}/x/2/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": "cuecast-sandbox",
        },
        headers={"Authorization": BASIC},
    )


def demo_token(sb: RunningSandbox, **extra: object) -> str:
    return str(sb.control.tokens("x", "cuecast_demo", **extra)["access_token"])


def tweet(
    sb: RunningSandbox, http: httpx.Client, token: str, body: dict[str, object]
) -> httpx.Response:
    return http.post(f"{sb.url}/x/2/tweets", json=body, headers=bearer(token))


def test_pkce_s256_flow_end_to_end(sb: RunningSandbox, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    answer = authorize(sb, http, "tweet.read tweet.write users.read offline.access", challenge)
    assert answer["state"] == "st-123"
    got = exchange(sb, http, answer["code"], verifier)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 7200
    assert body["refresh_token"] and body["scope"].split()[-1] == "offline.access"
    me = http.get(f"{sb.url}/x/2/users/me", headers=bearer(body["access_token"]))
    assert me.json() == {
        "data": {"id": DEMO_ID, "name": "Cuecast Demo", "username": "cuecast_demo"}
    }
    # a code is single use
    assert exchange(sb, http, answer["code"], verifier).status_code == 400


def test_plain_pkce_and_public_client_without_offline_access(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    answer = authorize(sb, http, "tweet.read users.read", "plain-verifier-value", method="plain")
    got = exchange(sb, http, answer["code"], "plain-verifier-value", basic=False)
    assert got.status_code == 200
    assert "refresh_token" not in got.json()


def test_wrong_verifier_is_rejected(sb: RunningSandbox, http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    answer = authorize(sb, http, "tweet.read users.read", challenge)
    got = exchange(sb, http, answer["code"], "not-the-verifier")
    assert got.status_code == 400
    assert got.json()["error"] == "invalid_request"
    assert "error_description" in got.json()


def test_cancel_redirects_with_access_denied(sb: RunningSandbox, http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    answer = authorize(sb, http, "tweet.read", challenge, decision="cancel")
    assert answer == {"error": "access_denied", "state": "st-123"}


def test_authorize_rejects_unknown_client_and_missing_pkce(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    base = {"response_type": "code", "redirect_uri": CALLBACK, "scope": "tweet.read", "state": "s"}
    assert (
        http.get(
            f"{sb.url}/x/i/oauth2/authorize",
            params={**base, "client_id": "nope", "code_challenge": "c"},
        ).status_code
        == 400
    )
    assert (
        http.get(
            f"{sb.url}/x/i/oauth2/authorize", params={**base, "client_id": "cuecast-sandbox"}
        ).status_code
        == 400
    )


def test_wrong_client_secret_is_unauthorized(sb: RunningSandbox, http: httpx.Client) -> None:
    bad = "Basic " + base64.b64encode(b"cuecast-sandbox:wrong").decode()
    got = http.post(
        f"{sb.url}/x/2/oauth2/token",
        headers={"Authorization": bad},
        data={"grant_type": "refresh_token", "refresh_token": "x"},
    )
    assert got.status_code == 401 and got.json()["error"] == "unauthorized_client"


def test_refresh_rotates(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("x", "cuecast_demo")
    first = refresh(sb, http, minted["refresh_token"])
    assert first.status_code == 200
    assert first.json()["refresh_token"] != minted["refresh_token"]
    again = refresh(sb, http, minted["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert refresh(sb, http, first.json()["refresh_token"]).status_code == 200


def test_expired_token_is_401_and_refresh_fixes_it(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("x", "cuecast_demo", expires_in=0)
    assert minted["expires_in"] == 0
    got = http.get(f"{sb.url}/x/2/users/me", headers=bearer(minted["access_token"]))
    assert got.status_code == 401
    assert got.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    fresh = refresh(sb, http, minted["refresh_token"]).json()["access_token"]
    assert http.get(f"{sb.url}/x/2/users/me", headers=bearer(fresh)).status_code == 200
    assert http.get(f"{sb.url}/x/2/users/me", headers=bearer("garbage")).status_code == 401


def test_missing_scope_is_403(sb: RunningSandbox, http: httpx.Client) -> None:
    token = demo_token(sb, scope="tweet.read users.read")
    assert tweet(sb, http, token, {"text": "hi"}).status_code == 403


def test_create_lookup_delete(sb: RunningSandbox, http: httpx.Client) -> None:
    token = demo_token(sb)
    created = tweet(sb, http, token, {"text": "Hello from the sandbox"})
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["text"] == "Hello from the sandbox" and data["id"].isdigit()
    got = http.get(
        f"{sb.url}/x/2/tweets/{data['id']}",
        headers=bearer(token),
        params={"tweet.fields": "created_at,public_metrics,author_id"},
    ).json()["data"]
    assert got["author_id"] == DEMO_ID and got["public_metrics"]["like_count"] == 0
    assert got["created_at"].endswith("Z")
    sb.control.metrics(
        "x", data["id"], {"like_count": 7, "impression_count": 120, "url_link_clicks": 3}
    )
    got = http.get(
        f"{sb.url}/x/2/tweets",
        headers=bearer(token),
        params={"ids": f"{data['id']},123", "tweet.fields": "public_metrics,non_public_metrics"},
    ).json()
    assert got["data"][0]["public_metrics"]["like_count"] == 7
    assert got["data"][0]["non_public_metrics"]["url_link_clicks"] == 3
    assert got["errors"][0]["resource_id"] == "123"
    deleted = http.delete(f"{sb.url}/x/2/tweets/{data['id']}", headers=bearer(token))
    assert deleted.json() == {"data": {"deleted": True}}
    missing = http.get(f"{sb.url}/x/2/tweets/{data['id']}", headers=bearer(token)).json()
    assert missing["errors"][0]["title"] == "Not Found Error"


def test_others_cannot_delete_and_do_not_see_private_metrics(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    mine = tweet(sb, http, demo_token(sb), {"text": "mine"}).json()["data"]["id"]
    other = str(sb.control.tokens("x", "cuecast_other")["access_token"])
    assert http.delete(f"{sb.url}/x/2/tweets/{mine}", headers=bearer(other)).status_code == 403
    got = http.get(
        f"{sb.url}/x/2/tweets/{mine}",
        headers=bearer(other),
        params={"tweet.fields": "non_public_metrics"},
    ).json()["data"]
    assert "non_public_metrics" not in got


def test_reply_chain(sb: RunningSandbox, http: httpx.Client) -> None:
    token = demo_token(sb)
    first = tweet(sb, http, token, {"text": "1/2"}).json()["data"]["id"]
    second = tweet(sb, http, token, {"text": "2/2", "reply": {"in_reply_to_tweet_id": first}})
    assert second.status_code == 201
    got = http.get(
        f"{sb.url}/x/2/tweets/{second.json()['data']['id']}",
        headers=bearer(token),
        params={"tweet.fields": "conversation_id,referenced_tweets"},
    ).json()["data"]
    assert got["conversation_id"] == first
    assert got["referenced_tweets"] == [{"type": "replied_to", "id": first}]
    orphan = tweet(sb, http, token, {"text": "x", "reply": {"in_reply_to_tweet_id": "99"}})
    assert orphan.status_code == 403
    assert sb.control.received("x", "cuecast_demo")[1]["in_reply_to_id"] == first


def test_duplicate_is_403(sb: RunningSandbox, http: httpx.Client) -> None:
    token = demo_token(sb)
    assert tweet(sb, http, token, {"text": "same"}).status_code == 201
    dup = tweet(sb, http, token, {"text": "same"})
    assert dup.status_code == 403
    assert dup.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    other = str(sb.control.tokens("x", "cuecast_other")["access_token"])
    assert tweet(sb, http, other, {"text": "same"}).status_code == 201
    assert len(sb.control.received("x")) == 2


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("a" * 280, True),
        ("a" * 281, False),
        ("日" * 140, True),
        ("日" * 141, False),
        ("😀" * 140, True),
        ("https://example.com/" + "x" * 400 + " " + "a" * 256, True),
    ],
)
def test_weighted_length_limit(sb: RunningSandbox, http: httpx.Client, text: str, ok: bool) -> None:
    got = tweet(sb, http, demo_token(sb), {"text": text})
    assert got.status_code == (201 if ok else 400), got.text
    if not ok:
        assert got.json()["title"] == "Invalid Request"


def test_weighted_length_rules() -> None:
    assert weighted_length("cafe\u0301") == 4  # NFC
    assert weighted_length("👨‍👩‍👧‍👦") == 2
    assert weighted_length("🇩🇪 ok") == 5
    assert weighted_length("see example.com/path and https://x.org/a?b=c.") == 4 + 23 + 5 + 23 + 1
    assert weighted_length("“quotes” — fine") == 15


def test_schema_violations_are_400(sb: RunningSandbox, http: httpx.Client) -> None:
    token = demo_token(sb)
    for body in (
        {"text": "x", "bogus": 1},
        {"text": 5},
        {"media": {"media_ids": []}},
        {"text": "x", "poll": {"options": ["a"], "duration_minutes": 5}},
        {},
    ):
        got = tweet(sb, http, token, body)
        assert got.status_code == 400, body
        assert got.json()["type"] == "https://api.x.com/2/problems/invalid-request"
    assert http.post(f"{sb.url}/x/2/tweets", content=b"{", headers=bearer(token)).status_code == 400


def test_timeline_newest_first_with_pagination(sb: RunningSandbox, http: httpx.Client) -> None:
    token = demo_token(sb)
    ids = [tweet(sb, http, token, {"text": f"post {i}"}).json()["data"]["id"] for i in range(7)]
    url = f"{sb.url}/x/2/users/{DEMO_ID}/tweets"
    page = http.get(
        url,
        headers=bearer(token),
        params={"max_results": 5, "tweet.fields": "created_at,public_metrics"},
    ).json()
    assert [t["id"] for t in page["data"]] == ids[::-1][:5]
    assert page["meta"]["result_count"] == 5 and "next_token" in page["meta"]
    rest = http.get(
        url,
        headers=bearer(token),
        params={"max_results": 5, "pagination_token": page["meta"]["next_token"]},
    ).json()
    assert [t["id"] for t in rest["data"]] == ids[::-1][5:]
    assert "next_token" not in rest["meta"]
    future = http.get(url, headers=bearer(token), params={"start_time": "2999-01-01T00:00:00Z"})
    assert future.json() == {"meta": {"result_count": 0}}
    assert http.get(url, headers=bearer(token), params={"max_results": 2}).status_code == 400


def test_rate_limit_headers_and_429(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("x", limits={"POST /2/tweets": 2})
    token = demo_token(sb)
    first = tweet(sb, http, token, {"text": "one"})
    assert first.headers["x-rate-limit-limit"] == "2"
    assert first.headers["x-rate-limit-remaining"] == "1"
    assert int(first.headers["x-rate-limit-reset"]) > time.time()
    for prefix in ("x-user-limit-24hour", "x-app-limit-24hour"):
        assert {f"{prefix}-limit", f"{prefix}-remaining", f"{prefix}-reset"} <= set(first.headers)
    assert tweet(sb, http, token, {"text": "two"}).status_code == 201
    third = tweet(sb, http, token, {"text": "three"})
    assert third.status_code == 429
    assert third.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert third.headers["x-rate-limit-remaining"] == "0"
    lookups = http.get(f"{sb.url}/x/2/users/me", headers=bearer(token))
    assert lookups.headers["x-rate-limit-limit"] == "75"


def test_24_hour_user_limit(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("x", tweets_user_24h=1)
    token = demo_token(sb)
    assert tweet(sb, http, token, {"text": "a"}).status_code == 201
    over = tweet(sb, http, token, {"text": "b"})
    assert over.status_code == 429 and over.headers["x-user-limit-24hour-remaining"] == "0"


def test_tier_switch_by_config(sb: RunningSandbox, http: httpx.Client) -> None:
    token = demo_token(sb)
    sb.control.config("x", tier="unenrolled")
    got = tweet(sb, http, token, {"text": "x"})
    assert got.status_code == 403 and got.json()["reason"] == "client-not-enrolled"
    assert got.json()["client_id"] == "cuecast-sandbox"
    sb.control.config("x", tier=None)
    assert tweet(sb, http, token, {"text": "x"}).status_code == 201
