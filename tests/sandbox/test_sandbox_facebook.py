"""Facebook Pages emulator over real HTTP: Login, Page tokens, feed/photos, errors, usage, faults."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sandbox_test_helpers import query_of

from sandbox.testing import RunningSandbox

APP_ID = "900000000000001"
SECRET = "cuecast-meta-sandbox-secret"
CALLBACK = "http://127.0.0.1:9/fb-callback"
DEMO_PAGE = "100000000000101"
SECOND_PAGE = "100000000000102"
OTHER_PAGE = "100000000000103"
DEMO_IG = "17841400000000101"


def graph(sb: RunningSandbox, path: str) -> str:
    return f"{sb.url}/facebook/v21.0/{path.lstrip('/')}"


def page_token(sb: RunningSandbox, user: str = "cuecast_demo", page: str | None = None) -> str:
    extra = {"page": page} if page else {}
    return str(sb.control.tokens("facebook", user, **extra)["page_access_token"])


def post(
    sb: RunningSandbox, http: httpx.Client, token: str, page: str = DEMO_PAGE, **data: str
) -> httpx.Response:
    return http.post(graph(sb, f"{page}/feed"), data={**data, "access_token": token})


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert "error" in body, body
    error: dict[str, object] = body["error"]
    assert isinstance(error.get("fbtrace_id"), str)
    return error


def test_login_dialog_code_long_lived_and_page_tokens(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    params = {
        "client_id": APP_ID,
        "redirect_uri": CALLBACK,
        "state": "st8",
        "scope": "pages_show_list,pages_manage_posts,pages_read_engagement",
        "response_type": "code",
    }
    page = http.get(f"{sb.url}/facebook/v21.0/dialog/oauth", params=params)
    assert page.status_code == 200
    assert "Cuecast Demo Page" in page.text and 'name="pages"' in page.text
    denied = http.post(
        f"{sb.url}/facebook/dialog/oauth",
        data={**params, "user": "cuecast_demo", "decision": "cancel"},
    )
    q = query_of(denied.headers["location"])
    assert q["error"] == "access_denied" and q["error_reason"] == "user_denied"
    assert q["state"] == "st8"
    answer = http.post(
        f"{sb.url}/facebook/dialog/oauth",
        data={**params, "user": "cuecast_demo", "pages": DEMO_PAGE, "decision": "authorize"},
    )
    assert answer.status_code == 302
    q = query_of(answer.headers["location"])
    assert q["state"] == "st8"
    exchange = {
        "client_id": APP_ID,
        "client_secret": SECRET,
        "redirect_uri": CALLBACK,
        "code": q["code"],
    }
    short = http.get(graph(sb, "oauth/access_token"), params=exchange)
    assert short.status_code == 200, short.text
    assert short.json()["expires_in"] == 3600 and short.json()["token_type"] == "bearer"
    again = http.get(graph(sb, "oauth/access_token"), params=exchange)
    assert error_of(again)["error_subcode"] == 36009
    long = http.get(
        graph(sb, "oauth/access_token"),
        params={
            "grant_type": "fb_exchange_token",
            "client_id": APP_ID,
            "client_secret": SECRET,
            "fb_exchange_token": short.json()["access_token"],
        },
    )
    assert long.status_code == 200 and long.json()["expires_in"] == 5184000
    user_token = long.json()["access_token"]
    accounts = http.get(graph(sb, "me/accounts"), params={"access_token": user_token})
    data = accounts.json()["data"]
    assert [p["id"] for p in data] == [DEMO_PAGE]  # only the Page granted in the dialog
    assert data[0]["access_token"] and "CREATE_CONTENT" in data[0]["tasks"]
    linked = http.get(
        graph(sb, DEMO_PAGE),
        params={"fields": "instagram_business_account,name", "access_token": user_token},
    )
    assert linked.json() == {
        "instagram_business_account": {"id": DEMO_IG},
        "name": "Cuecast Demo Page",
        "id": DEMO_PAGE,
    }
    with_ig = http.get(
        graph(sb, "me/accounts"),
        params={"fields": "id,name,access_token,instagram_business_account"},
        headers={"Authorization": f"Bearer {user_token}"},
    )
    assert with_ig.json()["data"][0]["instagram_business_account"] == {"id": DEMO_IG}
    # a Page not granted is invisible
    hidden = http.get(graph(sb, SECOND_PAGE), params={"access_token": user_token})
    assert error_of(hidden)["code"] == 100 and error_of(hidden)["error_subcode"] == 33
    # the Page token works for posting and never expires
    created = post(sb, http, data[0]["access_token"], message="via login")
    assert created.status_code == 200, created.text


def test_bad_client_secret_and_redirect(sb: RunningSandbox, http: httpx.Client) -> None:
    bad = http.get(
        graph(sb, "oauth/access_token"),
        params={
            "client_id": APP_ID,
            "client_secret": "nope",
            "code": "x",
            "redirect_uri": CALLBACK,
        },
    )
    assert bad.status_code == 400 and error_of(bad)["code"] == 1
    page = http.get(
        f"{sb.url}/facebook/dialog/oauth", params={"client_id": "123", "redirect_uri": CALLBACK}
    )
    assert page.status_code == 400


def test_feed_post_read_list_delete_and_received(sb: RunningSandbox, http: httpx.Client) -> None:
    token = page_token(sb)
    created = post(sb, http, token, message="Hello Page", link="https://cuecast.example/a")
    assert created.status_code == 200, created.text
    post_id = created.json()["id"]
    page_part, _, post_part = post_id.partition("_")
    assert page_part == DEMO_PAGE and post_part.isdigit()
    got = http.get(
        graph(sb, post_id),
        params={
            "fields": "id,message,created_time,permalink_url,is_published",
            "access_token": token,
        },
    )
    body = got.json()
    assert body["message"] == "Hello Page" and body["is_published"] is True
    assert body["created_time"].endswith("+0000")
    assert body["permalink_url"].endswith(f"/{DEMO_PAGE}/posts/{post_part}")
    listed = http.get(graph(sb, f"{DEMO_PAGE}/posts"), params={"access_token": token})
    assert [p["id"] for p in listed.json()["data"]] == [post_id]
    received = sb.control.received("facebook")
    assert len(received) == 1 and received[0]["id"] == post_id
    assert received[0]["text"] == "Hello Page" and received[0]["extra"]["link"].endswith("/a")
    assert sb.control.received("facebook", user=DEMO_PAGE)[0]["user"] == "Cuecast Demo Page"
    deleted = http.delete(graph(sb, post_id), params={"access_token": token})
    assert deleted.json() == {"success": True}
    gone = http.get(graph(sb, post_id), params={"access_token": token})
    assert error_of(gone)["type"] == "GraphMethodException"
    again = http.delete(graph(sb, post_id), params={"access_token": token})
    assert error_of(again)["error_subcode"] == 33
    assert http.get(graph(sb, f"{DEMO_PAGE}/feed"), params={"access_token": token}).json() == {
        "data": []
    }


def test_duplicate_blocked_and_validation(sb: RunningSandbox, http: httpx.Client) -> None:
    token = page_token(sb)
    assert post(sb, http, token, message="same text").status_code == 200
    dup = post(sb, http, token, message="same text")
    assert dup.status_code == 400 and error_of(dup)["code"] == 506
    assert "Duplicate status message" in str(error_of(dup)["message"])
    assert error_of(post(sb, http, token))["code"] == 100  # nothing to post
    sb.control.config("facebook", blocked=True)
    blocked = post(sb, http, token, message="new text")
    assert error_of(blocked)["code"] == 368
    assert len(sb.control.received("facebook")) == 1


def test_user_token_cannot_post_and_other_page_is_hidden(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    minted = sb.control.tokens("facebook", "cuecast_demo")
    user_post = post(sb, http, minted["user_access_token"], message="x")
    assert error_of(user_post)["code"] == 210
    other = post(sb, http, minted["page_access_token"], page=OTHER_PAGE, message="x")
    assert error_of(other)["error_subcode"] == 33
    second = sb.control.tokens("facebook", "cuecast_demo", page="Cuecast Second Page")
    assert second["page_id"] == SECOND_PAGE and second["instagram_business_account"] is None
    narrow = sb.control.tokens("facebook", "cuecast_demo", scope="pages_show_list")
    denied = post(sb, http, narrow["page_access_token"], message="x")
    assert error_of(denied)["code"] == 200


def test_photos_single_multi_and_bad_url(sb: RunningSandbox, http: httpx.Client) -> None:
    token = page_token(sb)
    photo = http.post(
        graph(sb, f"{DEMO_PAGE}/photos"),
        data={
            "url": f"{sb.url}/facebook/_files/pic.jpg",
            "caption": "one photo",
            "access_token": token,
        },
    )
    assert photo.status_code == 200, photo.text
    assert set(photo.json()) == {"id", "post_id"}
    staged = []
    for name in ("a.jpg", "b.jpg"):
        up = http.post(
            graph(sb, f"{DEMO_PAGE}/photos"),
            data={"published": "false", "access_token": token},
            files={"source": (name, b"\xff\xd8\xff\xe0jpeg", "image/jpeg")},
        )
        assert up.status_code == 200 and set(up.json()) == {"id"}
        staged.append(up.json()["id"])
    multi = http.post(
        graph(sb, f"{DEMO_PAGE}/feed"),
        data={
            "message": "two photos",
            "attached_media[0]": json.dumps({"media_fbid": staged[0]}),
            "attached_media[1]": json.dumps({"media_fbid": staged[1]}),
            "access_token": token,
        },
    )
    assert multi.status_code == 200, multi.text
    received = sb.control.received("facebook")
    assert [r["text"] for r in received] == ["one photo", "two photos"]
    assert received[1]["media_ids"] == staged
    reused = http.post(
        graph(sb, f"{DEMO_PAGE}/feed"),
        data={
            "message": "again",
            "attached_media": json.dumps([{"media_fbid": staged[0]}]),
            "access_token": token,
        },
    )
    assert error_of(reused)["code"] == 100
    bad = http.post(
        graph(sb, f"{DEMO_PAGE}/photos"),
        data={"url": f"{sb.url}/facebook/_files/missing.jpg", "access_token": token},
    )
    assert error_of(bad)["code"] == 324
    attachments = http.get(
        graph(sb, multi.json()["id"]), params={"fields": "attachments", "access_token": token}
    ).json()
    assert attachments["attachments"]["data"][0]["media_type"] == "album"


def test_insights_settable(sb: RunningSandbox, http: httpx.Client) -> None:
    token = page_token(sb)
    post_id = post(sb, http, token, message="measure me").json()["id"]
    sb.control.metrics("facebook", post_id, {"post_media_view": 120, "post_clicks": 7, "shares": 3})
    got = http.get(
        graph(sb, f"{post_id}/insights"),
        params={"metric": "post_media_view,post_clicks", "access_token": token},
    )
    values = {d["name"]: d["values"][0]["value"] for d in got.json()["data"]}
    assert values == {"post_media_view": 120, "post_clicks": 7}
    assert got.json()["data"][0]["period"] == "lifetime"
    shares = http.get(graph(sb, post_id), params={"fields": "shares", "access_token": token})
    assert shares.json()["shares"] == {"count": 3}
    bad = http.get(
        graph(sb, f"{post_id}/insights"), params={"metric": "nope", "access_token": token}
    )
    assert error_of(bad)["code"] == 100
    missing = http.get(graph(sb, f"{post_id}/insights"), params={"access_token": token})
    assert error_of(missing)["error_subcode"] == 1504028


def test_token_errors(sb: RunningSandbox, http: httpx.Client) -> None:
    none = http.get(graph(sb, DEMO_PAGE))
    assert none.status_code == 400 and error_of(none)["code"] == 104
    junk = http.get(graph(sb, DEMO_PAGE), params={"access_token": "junk"})
    err = error_of(junk)
    assert err["code"] == 190 and "error_subcode" not in err and err["type"] == "OAuthException"
    assert "WWW-Authenticate" in junk.headers
    bad_version = http.get(f"{sb.url}/facebook/latest/{DEMO_PAGE}")
    assert error_of(bad_version)["code"] == 2500
    v19 = http.get(f"{sb.url}/facebook/v19.0/{DEMO_PAGE}", params={"access_token": page_token(sb)})
    assert v19.status_code == 200


def test_fault_expire_and_revoke_token(sb: RunningSandbox, http: httpx.Client) -> None:
    token = page_token(sb)
    sb.control.fault("facebook", "expire_token", endpoint="POST /{version}/{id}/feed")
    expired = post(sb, http, token, message="x")
    assert error_of(expired)["code"] == 190 and error_of(expired)["error_subcode"] == 463
    token = page_token(sb)
    sb.control.fault("facebook", "revoke_token", user=DEMO_PAGE)
    revoked = post(sb, http, token, message="y")
    assert error_of(revoked)["error_subcode"] == 458
    sb.control.config("facebook", revoke_subcode=460)
    token = page_token(sb)
    sb.control.fault("facebook", "revoke_token")
    assert error_of(post(sb, http, token, message="z"))["error_subcode"] == 460
    assert sb.control.received("facebook") == []


def test_usage_headers_grow_and_burst_throttles(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("facebook", call_budget=10)
    token = page_token(sb)
    seen = []
    for _ in range(3):
        got = http.get(graph(sb, DEMO_PAGE), params={"access_token": token})
        app = json.loads(got.headers["x-app-usage"])
        buc = json.loads(got.headers["x-business-use-case-usage"])
        assert set(app) == {"call_count", "total_cputime", "total_time"}
        assert buc[DEMO_PAGE][0]["type"] == "pages"
        seen.append(buc[DEMO_PAGE][0]["call_count"])
    assert seen == [10, 20, 30]
    sb.control.fault("facebook", "rate_limit_burst")
    limited = http.get(graph(sb, DEMO_PAGE), params={"access_token": token})
    assert limited.status_code == 400
    err = error_of(limited)
    assert err["code"] == 32 and err["is_transient"] is True
    buc = json.loads(limited.headers["x-business-use-case-usage"])
    assert buc[DEMO_PAGE][0]["call_count"] == 100
    assert buc[DEMO_PAGE][0]["estimated_time_to_regain_access"] >= 1
    # a user token is throttled as a user (17) and reports only X-App-Usage
    user_token = sb.control.tokens("facebook", "cuecast_other")["user_access_token"]
    sb.control.fault("facebook", "rate_limit_burst", user="cuecast_other")
    user_limited = http.get(graph(sb, "me/accounts"), params={"access_token": user_token})
    assert error_of(user_limited)["code"] == 17
    assert "x-business-use-case-usage" not in user_limited.headers


def test_fault_error_5xx_slow_and_timeout_after_accept(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    token = page_token(sb)
    sb.control.fault("facebook", "error_5xx", endpoint="POST /{version}/{id}/feed", status=503)
    failed = post(sb, http, token, message="5xx")
    assert failed.status_code == 503 and error_of(failed)["code"] == 2
    assert sb.control.received("facebook") == []
    sb.control.fault("facebook", "slow", seconds=0.3)
    start = time.monotonic()
    assert http.get(graph(sb, DEMO_PAGE), params={"access_token": token}).status_code == 200
    assert time.monotonic() - start >= 0.3
    sb.control.fault(
        "facebook", "timeout_after_accept", endpoint=f"POST /v21.0/{DEMO_PAGE}/feed", seconds=2
    )
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            graph(sb, f"{DEMO_PAGE}/feed"),
            data={"message": "accepted", "access_token": token},
            timeout=0.3,
        )
    received = sb.control.received("facebook")
    assert [r["text"] for r in received] == ["accepted"]  # created although the client timed out
