"""Mastodon emulator over real HTTP: apps, OAuth, statuses, idempotency, media, limits."""

from __future__ import annotations

import time

import httpx
from sandbox_test_helpers import bearer, pkce_pair, query_of

from sandbox.testing import RunningSandbox

CALLBACK = "http://127.0.0.1:9/mastodon-callback"


def register(sb: RunningSandbox, http: httpx.Client, scopes: str = "read write") -> dict[str, str]:
    got = http.post(
        f"{sb.url}/mastodon/api/v1/apps",
        data={
            "client_name": "Cuecast",
            "redirect_uris": CALLBACK,
            "scopes": scopes,
            "website": "https://cuecast.example",
        },
    )
    assert got.status_code == 200, got.text
    app: dict[str, str] = got.json()
    return app


def user_token(sb: RunningSandbox, user: str = "demo", scope: str = "read write") -> str:
    return str(sb.control.tokens("mastodon", user, scope=scope)["access_token"])


def post(
    sb: RunningSandbox,
    http: httpx.Client,
    token: str,
    headers: dict[str, str] | None = None,
    **data: object,
) -> httpx.Response:
    return http.post(
        f"{sb.url}/mastodon/api/v1/statuses",
        data=data,
        headers={**bearer(token), **(headers or {})},
    )


def test_app_registration_and_pkce_flow(sb: RunningSandbox, http: httpx.Client) -> None:
    app = register(sb, http)
    assert app["scopes"] == ["read", "write"] and app["redirect_uri"] == CALLBACK
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "read write",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = http.get(f"{sb.url}/mastodon/oauth/authorize", params=params)
    assert page.status_code == 200 and "@demo" in page.text
    answer = http.post(
        f"{sb.url}/mastodon/oauth/authorize",
        data={**params, "user": "demo", "decision": "authorize"},
    )
    assert answer.status_code == 302
    query = query_of(answer.headers["location"])
    assert query["state"] == "xyz"
    token_request = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": CALLBACK,
    }
    wrong = http.post(
        f"{sb.url}/mastodon/oauth/token", data={**token_request, "code_verifier": "wrong"}
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    got = http.post(
        f"{sb.url}/mastodon/oauth/token", data={**token_request, "code_verifier": verifier}
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write"
    assert "expires_in" not in body and "refresh_token" not in body
    me = http.get(
        f"{sb.url}/mastodon/api/v1/accounts/verify_credentials",
        headers=bearer(body["access_token"]),
    )
    assert me.status_code == 200 and me.json()["username"] == "demo"
    assert "source" in me.json()
    # a code is single use
    assert (
        http.post(
            f"{sb.url}/mastodon/oauth/token", data={**token_request, "code_verifier": verifier}
        ).status_code
        == 400
    )


def test_authorize_denied_and_bad_redirect(sb: RunningSandbox, http: httpx.Client) -> None:
    app = register(sb, http)
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "read",
        "state": "s",
    }
    denied = http.post(
        f"{sb.url}/mastodon/oauth/authorize", data={**params, "user": "demo", "decision": "cancel"}
    )
    assert query_of(denied.headers["location"])["error"] == "access_denied"
    bad = http.get(
        f"{sb.url}/mastodon/oauth/authorize",
        params={**params, "redirect_uri": "http://evil.example/"},
    )
    assert bad.status_code == 400
    scope = http.get(
        f"{sb.url}/mastodon/oauth/authorize", params={**params, "scope": "admin:write"}
    )
    assert query_of(scope.headers["location"])["error"] == "invalid_scope"


def test_client_credentials_and_revoke(sb: RunningSandbox, http: httpx.Client) -> None:
    app = register(sb, http)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    got = http.post(
        f"{sb.url}/mastodon/oauth/token",
        data={**creds, "grant_type": "client_credentials", "scope": "read"},
    )
    assert got.status_code == 200
    app_token = got.json()["access_token"]
    as_app = http.get(
        f"{sb.url}/mastodon/api/v1/accounts/verify_credentials", headers=bearer(app_token)
    )
    assert as_app.status_code == 422
    bad = http.post(
        f"{sb.url}/mastodon/oauth/token",
        data={
            "client_id": app["client_id"],
            "client_secret": "no",
            "grant_type": "client_credentials",
        },
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert (
        http.post(f"{sb.url}/mastodon/oauth/revoke", data={**creds, "token": app_token}).json()
        == {}
    )
    revoked = http.get(f"{sb.url}/mastodon/api/v1/statuses/1", headers=bearer(app_token))
    assert revoked.status_code == 401


def test_instance_configuration(sb: RunningSandbox, http: httpx.Client) -> None:
    got = http.get(f"{sb.url}/mastodon/api/v2/instance").json()
    statuses = got["configuration"]["statuses"]
    assert statuses == {
        "max_characters": 500,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    assert got["configuration"]["media_attachments"]["image_size_limit"] > 0
    sb.control.config("mastodon", max_characters=1000)
    got = http.get(f"{sb.url}/mastodon/api/v2/instance").json()
    assert got["configuration"]["statuses"]["max_characters"] == 1000
    meta = http.get(f"{sb.url}/mastodon/.well-known/oauth-authorization-server").json()
    assert meta["code_challenge_methods_supported"] == ["S256"]


def test_status_form_and_json_and_entity(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    got = post(
        sb,
        http,
        token,
        status="Hello <world> https://example.com",
        visibility="unlisted",
        spoiler_text="cw",
        language="de",
    )
    assert got.status_code == 200
    status = got.json()
    for key in (
        "id",
        "uri",
        "url",
        "created_at",
        "content",
        "visibility",
        "replies_count",
        "reblogs_count",
        "favourites_count",
        "media_attachments",
        "account",
    ):
        assert key in status
    assert status["visibility"] == "unlisted" and status["sensitive"] is True
    assert "&lt;world&gt;" in status["content"] and "<a href" in status["content"]
    reply = http.post(
        f"{sb.url}/mastodon/api/v1/statuses",
        headers=bearer(token),
        json={
            "status": "reply",
            "in_reply_to_id": status["id"],
            "poll": {"options": ["a", "b"], "expires_in": 3600},
        },
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["in_reply_to_id"] == status["id"] and reply.json()["poll"]["options"]
    fetched = http.get(f"{sb.url}/mastodon/api/v1/statuses/{status['id']}").json()
    assert fetched["replies_count"] == 1
    sb.control.metrics("mastodon", status["id"], {"favourites_count": 4})
    fetched = http.get(f"{sb.url}/mastodon/api/v1/statuses/{status['id']}").json()
    assert fetched["favourites_count"] == 4
    timeline = http.get(f"{sb.url}/mastodon/api/v1/accounts/{status['account']['id']}/statuses")
    assert [s["id"] for s in timeline.json()] == [reply.json()["id"], status["id"]]
    deleted = http.delete(
        f"{sb.url}/mastodon/api/v1/statuses/{status['id']}", headers=bearer(token)
    )
    assert deleted.status_code == 200 and deleted.json()["text"].startswith("Hello")
    gone = http.get(f"{sb.url}/mastodon/api/v1/statuses/{status['id']}")
    assert gone.status_code == 404 and gone.json() == {"error": "Record not found"}


def test_character_limit(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    long_url = "https://example.com/" + "p" * 300
    fits = "x" * (500 - 23 - 1) + " " + long_url  # the URL counts 23
    assert post(sb, http, token, status=fits).status_code == 200
    mention = "@bob@mastodon.example.social " + "y" * (500 - len("@bob "))
    assert post(sb, http, token, status=mention).status_code == 200
    over = post(sb, http, token, status="z" * 501)
    assert over.status_code == 422
    assert over.json() == {"error": "Validation failed: Text character limit of 500 exceeded"}
    blank = post(sb, http, token, status="")
    assert blank.json() == {"error": "Validation failed: Text can't be blank"}


def test_idempotency_key_replays_original(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    first = post(sb, http, token, {"Idempotency-Key": "abc"}, status="once")
    second = post(sb, http, token, {"Idempotency-Key": "abc"}, status="once, changed")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert second.json()["content"] == "<p>once</p>"
    other_user = post(sb, http, user_token(sb, "other"), {"Idempotency-Key": "abc"}, status="x")
    assert other_user.json()["id"] != first.json()["id"]
    received = sb.control.received("mastodon", "demo")
    assert len(received) == 1 and received[0]["idempotency_key"] == "abc"


def test_media_sync_async_and_processing(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("mastodon", media_processing_seconds=0.3, media_sync_threshold=1000)
    token = user_token(sb)
    small = http.post(
        f"{sb.url}/mastodon/api/v2/media",
        headers=bearer(token),
        files={"file": ("a.png", b"\x89PNG" + b"0" * 100, "image/png")},
        data={"description": "alt text"},
    )
    assert small.status_code == 200 and small.json()["url"]
    assert small.json()["description"] == "alt text"
    assert http.get(small.json()["url"]).content.startswith(b"\x89PNG")
    big = http.post(
        f"{sb.url}/mastodon/api/v2/media",
        headers=bearer(token),
        files={"file": ("b.jpg", b"0" * 5000, "image/jpeg")},
    )
    assert big.status_code == 202 and big.json()["url"] is None
    media_id = big.json()["id"]
    assert (
        http.get(f"{sb.url}/mastodon/api/v1/media/{media_id}", headers=bearer(token)).status_code
        == 206
    )
    early = http.post(
        f"{sb.url}/mastodon/api/v1/statuses",
        headers=bearer(token),
        json={"status": "pic", "media_ids": [media_id]},
    )
    assert early.status_code == 422
    time.sleep(0.35)
    done = http.get(f"{sb.url}/mastodon/api/v1/media/{media_id}", headers=bearer(token))
    assert done.status_code == 200 and done.json()["url"]
    ok = post(sb, http, token, **{"status": "pics", "media_ids[]": [small.json()["id"], media_id]})
    assert ok.status_code == 200 and len(ok.json()["media_attachments"]) == 2
    assert sb.control.received("mastodon")[0]["media_ids"] == [small.json()["id"], media_id]
    missing_file = http.post(
        f"{sb.url}/mastodon/api/v2/media", headers=bearer(token), data={"description": "x"}
    )
    assert missing_file.status_code == 422


def test_auth_and_scope_errors(sb: RunningSandbox, http: httpx.Client) -> None:
    nobody = post(sb, http, "nope", status="x")
    assert nobody.status_code == 401 and nobody.json() == {"error": "The access token is invalid"}
    read_only = post(sb, http, user_token(sb, scope="read"), status="x")
    assert read_only.status_code == 403
    assert read_only.json() == {"error": "This action is outside the authorized scopes"}
    assert post(sb, http, user_token(sb, scope="write:statuses"), status="x").status_code == 200
    other = user_token(sb, "other")
    mine = post(sb, http, user_token(sb), status="mine").json()["id"]
    assert (
        http.delete(f"{sb.url}/mastodon/api/v1/statuses/{mine}", headers=bearer(other)).status_code
        == 404
    )


def test_rate_limit_headers_and_429(sb: RunningSandbox, http: httpx.Client) -> None:
    # Every request at one instant: the 5-minute windows are aligned to the clock, and a window
    # boundary between the posts (at 12:05:00, say) would open a fresh window for the third.
    with sb.state.lock:
        real_clock = sb.state.clock
        moment = real_clock()
        sb.state.clock = lambda: moment
    try:
        _rate_limit_headers_and_429(sb, http)
    finally:
        with sb.state.lock:
            sb.state.clock = real_clock


def _rate_limit_headers_and_429(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("mastodon", rate_limit=2)
    token = user_token(sb)
    first = post(sb, http, token, status="1")
    assert first.headers["x-ratelimit-limit"] == "2"
    assert first.headers["x-ratelimit-remaining"] == "1"
    assert (
        first.headers["x-ratelimit-reset"].endswith("Z")
        and "T" in first.headers["x-ratelimit-reset"]
    )
    post(sb, http, token, status="2")
    third = post(sb, http, token, status="3")
    assert third.status_code == 429 and third.json() == {"error": "Too many requests"}
    assert len(sb.control.received("mastodon")) == 2
