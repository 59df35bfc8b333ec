"""Threads emulator over real HTTP: OAuth, containers, exactly-once publish, emoji counting,
quotas, delete, insights, faults."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sandbox_test_helpers import query_of

from sandbox.testing import RunningSandbox
from sandbox.threads.counting import threads_length

APP_ID = "900000000000002"
SECRET = "cuecast-threads-sandbox-secret"
CALLBACK = "http://127.0.0.1:9/threads-callback"
USER = "25000000000000001"


def graph(sb: RunningSandbox, path: str) -> str:
    return f"{sb.url}/threads/v1.0/{path.lstrip('/')}"


def token(sb: RunningSandbox, user: str = "cuecast_demo", **extra: object) -> str:
    return str(sb.control.tokens("threads", user, **extra)["access_token"])


def create(sb: RunningSandbox, http: httpx.Client, tok: str, **data: str) -> httpx.Response:
    return http.post(graph(sb, f"{USER}/threads"), data={**data, "access_token": tok})


def wait(sb: RunningSandbox, http: httpx.Client, tok: str, container: str) -> dict[str, str]:
    deadline = time.monotonic() + 5
    while True:
        got = http.get(
            graph(sb, container), params={"fields": "status,error_message", "access_token": tok}
        )
        body: dict[str, str] = got.json()
        if body["status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def publish(sb: RunningSandbox, http: httpx.Client, tok: str, container: str) -> httpx.Response:
    return http.post(
        graph(sb, f"{USER}/threads_publish"), data={"creation_id": container, "access_token": tok}
    )


def post_text(sb: RunningSandbox, http: httpx.Client, tok: str, text: str, **extra: str) -> str:
    container = create(sb, http, tok, media_type="TEXT", text=text, **extra)
    assert container.status_code == 200, container.text
    wait(sb, http, tok, container.json()["id"])
    published = publish(sb, http, tok, container.json()["id"])
    assert published.status_code == 200, published.text
    return str(published.json()["id"])


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert "error" in body, body
    error: dict[str, object] = body["error"]
    return error


def test_oauth_short_long_and_refresh(sb: RunningSandbox, http: httpx.Client) -> None:
    params = {
        "client_id": APP_ID,
        "redirect_uri": CALLBACK,
        "scope": "threads_basic,threads_content_publish",
        "response_type": "code",
        "state": "s1",
    }
    page = http.get(f"{sb.url}/threads/oauth/authorize", params=params)
    assert page.status_code == 200 and "@cuecast_demo" in page.text
    denied = http.post(
        f"{sb.url}/threads/oauth/authorize",
        data={**params, "user": "cuecast_demo", "decision": "cancel"},
    )
    assert query_of(denied.headers["location"])["error"] == "access_denied"
    answer = http.post(
        f"{sb.url}/threads/oauth/authorize",
        data={**params, "user": "cuecast_demo", "decision": "authorize"},
    )
    code = query_of(answer.headers["location"])["code"]
    short = http.post(
        f"{sb.url}/threads/oauth/access_token",
        data={
            "client_id": APP_ID,
            "client_secret": SECRET,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": CALLBACK,
        },
    )
    assert short.status_code == 200, short.text
    assert short.json()["user_id"] == int(USER)
    short_token = short.json()["access_token"]
    long = http.get(
        f"{sb.url}/threads/access_token",
        params={
            "grant_type": "th_exchange_token",
            "client_secret": SECRET,
            "access_token": short_token,
        },
    )
    assert long.status_code == 200 and long.json()["token_type"] == "bearer"
    assert long.json()["expires_in"] == 5184000
    young = http.get(
        f"{sb.url}/threads/refresh_access_token",
        params={"grant_type": "th_refresh_token", "access_token": long.json()["access_token"]},
    )
    assert error_of(young)["code"] == 100  # not 24 hours old yet
    old = token(sb, age=90000)
    refreshed = http.get(
        f"{sb.url}/threads/refresh_access_token",
        params={"grant_type": "th_refresh_token", "access_token": old},
    )
    assert refreshed.status_code == 200 and refreshed.json()["expires_in"] == 5184000
    me = http.get(
        graph(sb, "me"),
        params={"fields": "id,username", "access_token": refreshed.json()["access_token"]},
    )
    assert me.json() == {"id": USER, "username": "cuecast_demo"}
    minted = sb.control.tokens("threads", "cuecast_demo")
    assert minted["user_id"] == USER and minted["expires_in"] == 5184000


def test_text_post_exactly_once_read_list_delete(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    container = create(sb, http, tok, media_type="TEXT", text="Hello Threads").json()["id"]
    assert wait(sb, http, tok, container) == {"status": "FINISHED", "id": container}
    media_id = publish(sb, http, tok, container).json()["id"]
    again = publish(sb, http, tok, container)
    assert again.status_code == 400 and error_of(again)["code"] == 24
    assert wait(sb, http, tok, container)["status"] == "PUBLISHED"
    received = sb.control.received("threads")
    assert len(received) == 1 and received[0]["id"] == media_id
    assert (
        received[0]["text"] == "Hello Threads" and received[0]["extra"]["container_id"] == container
    )
    got = http.get(
        graph(sb, media_id),
        params={"fields": "id,permalink,text,media_type,timestamp,username", "access_token": tok},
    ).json()
    assert got["permalink"].startswith("https://www.threads.net/@cuecast_demo/post/")
    assert got["media_type"] == "TEXT_POST" and got["text"] == "Hello Threads"
    listed = http.get(graph(sb, "me/threads"), params={"access_token": tok}).json()
    assert [m["id"] for m in listed["data"]] == [media_id]
    deleted = http.delete(graph(sb, media_id), params={"access_token": tok})
    assert deleted.json() == {"success": True, "deleted_id": media_id}
    assert (
        error_of(http.get(graph(sb, media_id), params={"access_token": tok}))["error_subcode"] == 33
    )


def test_emoji_count_as_utf8_bytes(sb: RunningSandbox, http: httpx.Client) -> None:
    assert threads_length("abc") == 3
    assert threads_length("ü") == 1  # not an emoji: one character
    assert threads_length("😀") == 4
    assert threads_length("❤️") == 6  # U+2764 (3 bytes) + VS16 (3 bytes)
    assert threads_length("👍🏽") == 8
    assert threads_length("🇩🇪") == 8
    tok = token(sb)
    fits = create(sb, http, tok, media_type="TEXT", text="a" * 496 + "😀")  # 500
    assert fits.status_code == 200, fits.text
    over = create(sb, http, tok, media_type="TEXT", text="a" * 497 + "😀")  # 501
    assert over.status_code == 400 and error_of(over)["code"] == 100
    assert "501" in str(error_of(over)["message"])
    plain = create(sb, http, tok, media_type="TEXT", text="ü" * 500)  # 1000 bytes, 500 characters
    assert plain.status_code == 200


def test_image_container_error_and_carousel(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("threads", image_processing_seconds=0.1)
    tok = token(sb)
    bad = create(
        sb, http, tok, media_type="IMAGE", image_url=f"{sb.url}/threads/_files/missing.jpg"
    )
    body = wait(sb, http, tok, bad.json()["id"])
    assert body["status"] == "ERROR" and body["error_message"] == "UNKNOWN"
    assert error_of(publish(sb, http, tok, bad.json()["id"]))["code"] == 9007
    video = create(
        sb, http, tok, media_type="VIDEO", video_url=f"{sb.url}/threads/_files/missing.mp4"
    )
    assert wait(sb, http, tok, video.json()["id"])["error_message"] == "FAILED_DOWNLOADING_VIDEO"
    kids = [
        create(
            sb,
            http,
            tok,
            media_type="IMAGE",
            is_carousel_item="true",
            image_url=f"{sb.url}/threads/_files/{i}.png",
        ).json()["id"]
        for i in range(2)
    ]
    carousel = create(sb, http, tok, media_type="CAROUSEL", children=",".join(kids), text="two")
    assert carousel.status_code == 200, carousel.text
    assert wait(sb, http, tok, carousel.json()["id"])["status"] == "FINISHED"
    media_id = publish(sb, http, tok, carousel.json()["id"]).json()["id"]
    got = http.get(
        graph(sb, media_id), params={"fields": "media_type,children", "access_token": tok}
    ).json()
    assert got["media_type"] == "CAROUSEL_ALBUM" and len(got["children"]["data"]) == 2
    assert error_of(create(sb, http, tok, media_type="CAROUSEL", children=kids[0]))["code"] == 100
    assert error_of(create(sb, http, tok, media_type="TEXT"))["code"] == 100
    links = " ".join(f"https://e{i}.example" for i in range(6))
    assert "LINK_LIMIT" in str(
        error_of(create(sb, http, tok, media_type="TEXT", text=links))["message"]
    )


def test_replies_quotas_and_publishing_limit(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    root = post_text(sb, http, tok, "root")
    reply = post_text(sb, http, tok, "a reply", reply_to_id=root)
    received = sb.control.received("threads")
    assert received[1]["in_reply_to_id"] == root
    limit = http.get(
        graph(sb, f"{USER}/threads_publishing_limit"),
        params={"fields": "quota_usage,config,reply_quota_usage,reply_config", "access_token": tok},
    ).json()
    assert limit == {
        "data": [
            {
                "quota_usage": 1,
                "config": {"quota_total": 250, "quota_duration": 86400},
                "reply_quota_usage": 1,
                "reply_config": {"quota_total": 1000, "quota_duration": 86400},
            }
        ]
    }
    assert http.get(graph(sb, reply), params={"fields": "replied_to", "access_token": tok}).json()[
        "replied_to"
    ] == {"id": root}
    sb.control.config("threads", exhaust_quota="cuecast_demo")
    container = create(sb, http, tok, media_type="TEXT", text="over").json()["id"]
    over = publish(sb, http, tok, container)
    assert error_of(over)["code"] == 9 and error_of(over)["error_subcode"] == 2207042
    # replies have their own quota
    post_text(sb, http, tok, "reply still fine", reply_to_id=root)
    sb.control.config("threads", exhaust_quota={"user": "cuecast_demo", "kind": "replies"})
    blocked = create(sb, http, tok, media_type="TEXT", text="r", reply_to_id=root).json()["id"]
    assert error_of(publish(sb, http, tok, blocked))["code"] == 9
    sb.control.config("threads", delete_quota_usage={"cuecast_demo": 100})
    assert error_of(http.delete(graph(sb, root), params={"access_token": tok}))["code"] == 9
    assert len(sb.control.received("threads")) == 3


def test_insights_and_scopes(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    media_id = post_text(sb, http, tok, "measure")
    sb.control.metrics("threads", media_id, {"views": 90, "likes": 4, "reposts": 1})
    got = http.get(
        graph(sb, f"{media_id}/insights"),
        params={"metric": "views,likes,replies,reposts,quotes,shares", "access_token": tok},
    )
    values = {d["name"]: d["values"][0]["value"] for d in got.json()["data"]}
    assert values == {"views": 90, "likes": 4, "replies": 0, "reposts": 1, "quotes": 0, "shares": 0}
    narrow = token(sb, scope="threads_basic")
    assert error_of(create(sb, http, narrow, media_type="TEXT", text="x"))["code"] == 10
    assert error_of(http.delete(graph(sb, media_id), params={"access_token": narrow}))["code"] == 10
    other = token(sb, "cuecast_other")
    assert error_of(create(sb, http, other, media_type="TEXT", text="x"))["error_subcode"] == 33


def test_faults(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    container = create(sb, http, tok, media_type="TEXT", text="fault").json()["id"]
    sb.control.fault("threads", "error_5xx", endpoint="POST /{version}/{id}/threads_publish")
    assert publish(sb, http, tok, container).status_code == 503
    sb.control.fault(
        "threads",
        "timeout_after_accept",
        endpoint="POST /{version}/{id}/threads_publish",
        seconds=2,
    )
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            graph(sb, f"{USER}/threads_publish"),
            data={"creation_id": container, "access_token": tok},
            timeout=0.3,
        )
    assert wait(sb, http, tok, container)["status"] == "PUBLISHED"
    assert error_of(publish(sb, http, tok, container))["code"] == 24
    assert len(sb.control.received("threads")) == 1
    sb.control.fault("threads", "rate_limit_burst")
    limited = http.get(graph(sb, "me"), params={"access_token": tok})
    assert error_of(limited)["code"] == 17
    assert json.loads(limited.headers["x-business-use-case-usage"])[USER][0]["type"] == "threads"
    sb.control.reset()
    tok = token(sb)
    ok = http.get(graph(sb, "me"), params={"access_token": tok})
    assert json.loads(ok.headers["x-app-usage"])["call_count"] >= 0
    sb.control.fault("threads", "slow", seconds=0.3)
    start = time.monotonic()
    assert http.get(graph(sb, "me"), params={"access_token": tok}).status_code == 200
    assert time.monotonic() - start >= 0.3
    sb.control.fault("threads", "expire_token")
    assert error_of(http.get(graph(sb, "me"), params={"access_token": tok}))["error_subcode"] == 463
    tok = token(sb)
    sb.control.fault("threads", "revoke_token", user="cuecast_demo")
    assert error_of(http.get(graph(sb, "me"), params={"access_token": tok}))["error_subcode"] == 458
    refresh = http.get(
        f"{sb.url}/threads/refresh_access_token",
        params={"grant_type": "th_refresh_token", "access_token": tok},
    )
    assert error_of(refresh)["code"] == 190
