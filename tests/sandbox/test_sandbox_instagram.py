"""Instagram emulator over real HTTP: containers, publish exactly once, quota, errors, faults."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from sandbox.testing import RunningSandbox

IG = "17841400000000101"
OTHER_IG = "17841400000000103"
DEMO_PAGE = "100000000000101"


def graph(sb: RunningSandbox, path: str) -> str:
    return f"{sb.url}/instagram/v21.0/{path.lstrip('/')}"


def token(sb: RunningSandbox, user: str = "cuecast_demo_ig", **extra: str) -> str:
    return str(sb.control.tokens("instagram", user, **extra)["access_token"])


def fast(sb: RunningSandbox) -> None:
    sb.control.config("instagram", image_processing_seconds=0.1, video_processing_seconds=0.4)


def image(sb: RunningSandbox, name: str = "photo.jpg") -> str:
    return f"{sb.url}/instagram/_files/{name}"


def create(sb: RunningSandbox, http: httpx.Client, tok: str, **data: str) -> httpx.Response:
    return http.post(graph(sb, f"{IG}/media"), data={**data, "access_token": tok})


def status(sb: RunningSandbox, http: httpx.Client, tok: str, container: str) -> dict[str, str]:
    got = http.get(
        graph(sb, container), params={"fields": "status_code,status", "access_token": tok}
    )
    result: dict[str, str] = got.json()
    return result


def wait(sb: RunningSandbox, http: httpx.Client, tok: str, container: str) -> dict[str, str]:
    deadline = time.monotonic() + 5
    while True:
        body = status(sb, http, tok, container)
        if body["status_code"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def publish(sb: RunningSandbox, http: httpx.Client, tok: str, container: str) -> httpx.Response:
    return http.post(
        graph(sb, f"{IG}/media_publish"), data={"creation_id": container, "access_token": tok}
    )


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert "error" in body, body
    error: dict[str, object] = body["error"]
    return error


def test_account_discovery_on_the_same_host(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("instagram", "cuecast_demo_ig")
    assert minted["ig_user_id"] == IG and minted["page_id"] == DEMO_PAGE
    assert minted["expires_in"] == 5184000
    accounts = http.get(
        graph(sb, "me/accounts"),
        params={
            "fields": "id,name,instagram_business_account",
            "access_token": minted["access_token"],
        },
    )
    linked = [
        p["instagram_business_account"]["id"]
        for p in accounts.json()["data"]
        if "instagram_business_account" in p
    ]
    assert linked == [IG]
    me = http.get(
        graph(sb, IG), params={"fields": "id,username", "access_token": minted["page_access_token"]}
    )
    assert me.json() == {"id": IG, "username": "cuecast_demo_ig"}
    # a Facebook-emulator token works here too (Instagram API with Facebook Login)
    fb = sb.control.tokens("facebook", "cuecast_demo")
    assert (
        http.get(graph(sb, IG), params={"access_token": fb["user_access_token"]}).status_code == 200
    )
    other = http.get(graph(sb, OTHER_IG), params={"access_token": minted["access_token"]})
    assert error_of(other)["error_subcode"] == 33


def test_image_container_publish_exactly_once(sb: RunningSandbox, http: httpx.Client) -> None:
    fast(sb)
    tok = token(sb)
    created = create(sb, http, tok, image_url=image(sb), caption="Hello #cuecast @friend")
    assert created.status_code == 200, created.text
    container = created.json()["id"]
    first = status(sb, http, tok, container)
    assert first["status_code"] == "IN_PROGRESS" and first["id"] == container
    early = publish(sb, http, tok, container)
    assert error_of(early)["code"] == 9007 and error_of(early)["error_subcode"] == 2207027
    assert wait(sb, http, tok, container)["status_code"] == "FINISHED"
    published = publish(sb, http, tok, container)
    assert published.status_code == 200, published.text
    media_id = published.json()["id"]
    assert status(sb, http, tok, container)["status_code"] == "PUBLISHED"
    again = publish(sb, http, tok, container)
    assert again.status_code == 400
    assert error_of(again)["code"] == 24 and error_of(again)["error_subcode"] == 2207008
    received = sb.control.received("instagram")
    assert len(received) == 1
    assert received[0]["id"] == media_id and received[0]["text"] == "Hello #cuecast @friend"
    assert received[0]["extra"]["container_id"] == container
    assert received[0]["extra"]["media_urls"] == [image(sb)]
    got = http.get(
        graph(sb, media_id),
        params={
            "fields": "id,caption,media_type,media_product_type,permalink,timestamp",
            "access_token": tok,
        },
    ).json()
    assert got["media_type"] == "IMAGE" and got["media_product_type"] == "FEED"
    assert got["permalink"].startswith("https://www.instagram.com/p/")
    listed = http.get(graph(sb, f"{IG}/media"), params={"access_token": tok}).json()
    assert [m["id"] for m in listed["data"]] == [media_id]
    sb.control.config("instagram", republish="return_existing")
    assert publish(sb, http, tok, container).json() == {"id": media_id}
    assert len(sb.control.received("instagram")) == 1


def test_unreachable_or_wrong_media_fails_the_container(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    fast(sb)
    tok = token(sb)
    missing = create(sb, http, tok, image_url=image(sb, "missing.jpg")).json()["id"]
    body = wait(sb, http, tok, missing)
    assert body["status_code"] == "ERROR" and "2207052" in body["status"]
    assert error_of(publish(sb, http, tok, missing))["code"] == 9007
    png = create(sb, http, tok, image_url=image(sb, "pic.png")).json()["id"]
    assert "2207005" in wait(sb, http, tok, png)["status"]  # JPEG only
    closed = create(sb, http, tok, image_url="http://127.0.0.1:9/nothing.jpg").json()["id"]
    assert wait(sb, http, tok, closed)["status_code"] == "ERROR"
    assert sb.control.received("instagram") == []


def test_carousel_and_reels(sb: RunningSandbox, http: httpx.Client) -> None:
    fast(sb)
    tok = token(sb)
    kids = [
        create(sb, http, tok, image_url=image(sb, f"{i}.jpg"), is_carousel_item="true").json()["id"]
        for i in range(3)
    ]
    carousel = create(
        sb, http, tok, media_type="CAROUSEL", children=",".join(kids), caption="album"
    )
    assert carousel.status_code == 200, carousel.text
    assert wait(sb, http, tok, carousel.json()["id"])["status_code"] == "FINISHED"
    media_id = publish(sb, http, tok, carousel.json()["id"]).json()["id"]
    got = http.get(
        graph(sb, media_id), params={"fields": "media_type,children", "access_token": tok}
    )
    assert got.json()["media_type"] == "CAROUSEL_ALBUM" and len(got.json()["children"]["data"]) == 3
    too_many = create(sb, http, tok, media_type="CAROUSEL", children=",".join(["1"] * 11))
    assert error_of(too_many)["code"] == 100
    reel = create(
        sb,
        http,
        tok,
        media_type="REELS",
        video_url=f"{sb.url}/instagram/_files/clip.mp4",
        caption="reel",
    )
    reel_id = reel.json()["id"]
    time.sleep(0.2)
    assert status(sb, http, tok, reel_id)["status_code"] == "IN_PROGRESS"  # videos take longer
    assert wait(sb, http, tok, reel_id)["status_code"] == "FINISHED"
    reel_media = publish(sb, http, tok, reel_id).json()["id"]
    product = http.get(
        graph(sb, reel_media),
        params={"fields": "media_product_type,permalink", "access_token": tok},
    ).json()
    assert product["media_product_type"] == "REELS" and "/reel/" in product["permalink"]
    assert (
        error_of(create(sb, http, tok, media_type="VIDEO", video_url="http://x/v.mp4"))["code"]
        == 100
    )
    assert [r["extra"]["media_type"] for r in sb.control.received("instagram")] == [
        "CAROUSEL_ALBUM",
        "VIDEO",
    ]


def test_caption_limits(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    url = image(sb)
    assert create(sb, http, tok, image_url=url, caption="x" * 2200).status_code == 200
    assert error_of(create(sb, http, tok, image_url=url, caption="x" * 2201))["code"] == 100
    tags = " ".join(f"#t{i}" for i in range(31))
    assert error_of(create(sb, http, tok, image_url=url, caption=tags))["code"] == 100
    mentions = " ".join(f"@u{i}" for i in range(21))
    assert error_of(create(sb, http, tok, image_url=url, caption=mentions))["code"] == 100
    assert (
        create(
            sb, http, tok, image_url=url, caption=" ".join(f"#t{i}" for i in range(30))
        ).status_code
        == 200
    )


def test_publishing_limit_and_quota(sb: RunningSandbox, http: httpx.Client) -> None:
    fast(sb)
    tok = token(sb)
    limit = http.get(
        graph(sb, f"{IG}/content_publishing_limit"),
        params={"fields": "quota_usage,config", "access_token": tok},
    )
    assert limit.json() == {
        "data": [{"quota_usage": 0, "config": {"quota_total": 50, "quota_duration": 86400}}]
    }
    sb.control.config("instagram", quota_total=1)
    first = create(sb, http, tok, image_url=image(sb), caption="one").json()["id"]
    second = create(sb, http, tok, image_url=image(sb), caption="two").json()["id"]
    wait(sb, http, tok, first)
    wait(sb, http, tok, second)
    assert publish(sb, http, tok, first).status_code == 200
    over = publish(sb, http, tok, second)
    err = error_of(over)
    assert err["code"] == 9 and err["error_subcode"] == 2207042
    usage = http.get(graph(sb, f"{IG}/content_publishing_limit"), params={"access_token": tok})
    assert usage.json() == {"data": [{"quota_usage": 1}]}
    sb.control.config("instagram", quota_total=50, exhaust_quota="cuecast_demo_ig")
    assert error_of(publish(sb, http, tok, second))["error_subcode"] == 2207042
    result = sb.control.config("instagram", quota_usage={"cuecast_demo_ig": 3})
    assert result["quota_usage"]["cuecast_demo_ig"] == 3
    assert publish(sb, http, tok, second).status_code == 200
    assert len(sb.control.received("instagram")) == 2


def test_container_expires(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("instagram", image_processing_seconds=0, container_expire_seconds=0.3)
    tok = token(sb)
    container = create(sb, http, tok, image_url=image(sb)).json()["id"]
    time.sleep(0.4)
    assert status(sb, http, tok, container)["status_code"] == "EXPIRED"
    err = error_of(publish(sb, http, tok, container))
    assert err["error_subcode"] == 2207020


def test_delete_unsupported_insights_and_scopes(sb: RunningSandbox, http: httpx.Client) -> None:
    fast(sb)
    tok = token(sb)
    container = create(sb, http, tok, image_url=image(sb)).json()["id"]
    wait(sb, http, tok, container)
    media_id = publish(sb, http, tok, container).json()["id"]
    refused = http.delete(graph(sb, media_id), params={"access_token": tok})
    err = error_of(refused)
    assert (
        err["code"] == 100 and err["error_subcode"] == 33 and err["type"] == "GraphMethodException"
    )
    sb.control.metrics("instagram", media_id, {"views": 40, "likes": 5, "like_count": 5})
    got = http.get(
        graph(sb, f"{media_id}/insights"), params={"metric": "views,likes", "access_token": tok}
    )
    assert {d["name"]: d["values"][0]["value"] for d in got.json()["data"]} == {
        "views": 40,
        "likes": 5,
    }
    old = http.get(
        graph(sb, f"{media_id}/insights"), params={"metric": "impressions", "access_token": tok}
    )
    assert error_of(old)["code"] == 100
    sb.control.config("instagram", media_delete_supported=True)
    assert http.delete(graph(sb, media_id), params={"access_token": tok}).json() == {
        "success": True
    }
    narrow = token(sb, scope="instagram_basic,pages_show_list")
    denied = create(sb, http, narrow, image_url=image(sb))
    assert error_of(denied)["code"] == 10


def test_faults(sb: RunningSandbox, http: httpx.Client) -> None:
    fast(sb)
    tok = token(sb)
    container = create(sb, http, tok, image_url=image(sb), caption="fault").json()["id"]
    wait(sb, http, tok, container)
    sb.control.fault(
        "instagram", "error_5xx", endpoint="POST /{version}/{id}/media_publish", status=500
    )
    failed = publish(sb, http, tok, container)
    assert failed.status_code == 500 and error_of(failed)["is_transient"] is True
    sb.control.fault(
        "instagram",
        "timeout_after_accept",
        endpoint="POST /{version}/{id}/media_publish",
        seconds=2,
    )
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            graph(sb, f"{IG}/media_publish"),
            data={"creation_id": container, "access_token": tok},
            timeout=0.3,
        )
    # the retry must not post twice: the container says PUBLISHED, a second publish is refused
    assert status(sb, http, tok, container)["status_code"] == "PUBLISHED"
    assert error_of(publish(sb, http, tok, container))["code"] == 24
    assert len(sb.control.received("instagram")) == 1
    sb.control.fault("instagram", "rate_limit_burst")
    limited = http.get(graph(sb, f"{IG}/media"), params={"access_token": tok})
    assert error_of(limited)["code"] == 80002
    buc = json.loads(limited.headers["x-business-use-case-usage"])
    assert buc[IG][0]["type"] == "instagram" and buc[IG][0]["call_count"] == 100
    assert "x-app-usage" in limited.headers
    sb.control.reset()
    tok = token(sb)
    sb.control.fault("instagram", "slow", seconds=0.3)
    start = time.monotonic()
    assert http.get(graph(sb, IG), params={"access_token": tok}).status_code == 200
    assert time.monotonic() - start >= 0.3
    sb.control.fault("instagram", "expire_token")
    assert error_of(http.get(graph(sb, IG), params={"access_token": tok}))["error_subcode"] == 463
    tok = token(sb)
    sb.control.fault("instagram", "revoke_token", user="cuecast_demo")
    assert error_of(http.get(graph(sb, IG), params={"access_token": tok}))["error_subcode"] == 458
