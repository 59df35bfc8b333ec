"""Bluesky PDS emulator over real HTTP: sessions, records, blobs, limits, faults."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from sandbox_test_helpers import bearer

from sandbox.testing import RunningSandbox

DEMO = "cuecast-demo.bsky.sandbox"
DEMO_DID = "did:plc:cuecastdemo4sandbox7bsky"
DEMO_APP_PASSWORD = "cdmo-7k2p-x4qa-9fzt"
OTHER = "other.bsky.sandbox"
POST = "app.bsky.feed.post"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def xrpc(sb: RunningSandbox, nsid: str) -> str:
    return f"{sb.url}/bluesky/xrpc/{nsid}"


def login(
    sb: RunningSandbox,
    http: httpx.Client,
    identifier: str = DEMO,
    password: str = DEMO_APP_PASSWORD,
) -> httpx.Response:
    return http.post(
        xrpc(sb, "com.atproto.server.createSession"),
        json={"identifier": identifier, "password": password},
    )


def session(sb: RunningSandbox, user: str = DEMO, **extra: Any) -> dict[str, Any]:
    return sb.control.tokens("bluesky", user, **extra)


def post_record(text: str = "hello", **fields: Any) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": "2026-11-23T10:00:00.000Z", **fields}


def create(
    sb: RunningSandbox,
    http: httpx.Client,
    token: str,
    record: dict[str, Any] | None = None,
    **body: Any,
) -> httpx.Response:
    payload = {"repo": DEMO_DID, "collection": POST, "record": record or post_record(), **body}
    return http.post(xrpc(sb, "com.atproto.repo.createRecord"), json=payload, headers=bearer(token))


def jwt_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = token.split(".")

    def decode(part: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return data

    return decode(head), decode(body)


def upload(sb: RunningSandbox, http: httpx.Client, token: str, data: bytes, ctype: str) -> Any:
    got = http.post(
        xrpc(sb, "com.atproto.repo.uploadBlob"),
        content=data,
        headers={**bearer(token), "Content-Type": ctype},
    )
    assert got.status_code == 200, got.text
    return got.json()["blob"]


# --- sessions ---------------------------------------------------------------------------------
def test_create_session_with_handle_did_or_email(sb: RunningSandbox, http: httpx.Client) -> None:
    for identifier in (DEMO, DEMO_DID, "demo@cuecast.sandbox", "@Cuecast-Demo.bsky.sandbox"):
        got = login(sb, http, identifier)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["did"] == DEMO_DID and body["handle"] == DEMO and body["active"] is True
        assert body["email"] == "demo@cuecast.sandbox"
        service = body["didDoc"]["service"][0]
        assert service["serviceEndpoint"] == f"{sb.url}/bluesky"
    header, claims = jwt_claims(got.json()["accessJwt"])
    assert header["typ"] == "at+jwt" and claims["scope"] == "com.atproto.appPass"
    assert claims["sub"] == DEMO_DID and claims["exp"] - claims["iat"] == 7200
    header, claims = jwt_claims(got.json()["refreshJwt"])
    assert header["typ"] == "refresh+jwt" and claims["scope"] == "com.atproto.refresh"
    assert claims["exp"] - claims["iat"] == 90 * 86400 and claims["jti"]
    bad = login(sb, http, DEMO, "wrong-pass-word-xxxx")
    assert bad.status_code == 401
    assert bad.json() == {
        "error": "AuthenticationRequired",
        "message": "Invalid identifier or password",
    }
    assert login(sb, http, "nobody.bsky.sandbox").status_code == 401
    full = login(sb, http, DEMO, "cuecast-demo-password")
    assert jwt_claims(full.json()["accessJwt"])[1]["scope"] == "com.atproto.access"
    missing = http.post(xrpc(sb, "com.atproto.server.createSession"), json={"identifier": DEMO})
    assert missing.status_code == 400 and missing.json()["error"] == "InvalidRequest"


def test_get_session_and_refresh_rotation(sb: RunningSandbox, http: httpx.Client) -> None:
    first = login(sb, http).json()
    me = http.get(xrpc(sb, "com.atproto.server.getSession"), headers=bearer(first["accessJwt"]))
    assert me.status_code == 200 and me.json()["handle"] == DEMO and "accessJwt" not in me.json()
    # the refresh JWT is not an access token, and vice versa
    wrong = http.get(xrpc(sb, "com.atproto.server.getSession"), headers=bearer(first["refreshJwt"]))
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "InvalidToken", "message": "Invalid token type"}
    refresh_url = xrpc(sb, "com.atproto.server.refreshSession")
    assert http.post(refresh_url, headers=bearer(first["accessJwt"])).status_code == 400
    second = http.post(refresh_url, headers=bearer(first["refreshJwt"]))
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["did"] == DEMO_DID and pair["refreshJwt"] != first["refreshJwt"]
    again = http.post(refresh_url, headers=bearer(first["refreshJwt"]))
    assert again.status_code == 400
    assert again.json() == {"error": "ExpiredToken", "message": "Token has been revoked"}
    assert http.post(refresh_url, headers=bearer(pair["refreshJwt"])).status_code == 200
    # the old ACCESS token keeps working until it expires (JWTs are stateless)
    me = http.get(xrpc(sb, "com.atproto.server.getSession"), headers=bearer(first["accessJwt"]))
    assert me.status_code == 200


def test_refresh_grace_period_when_configured(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("bluesky", refresh_grace_seconds=7200)
    first = login(sb, http).json()
    url = xrpc(sb, "com.atproto.server.refreshSession")
    a = http.post(url, headers=bearer(first["refreshJwt"])).json()
    b = http.post(url, headers=bearer(first["refreshJwt"])).json()
    assert jwt_claims(a["refreshJwt"])[1]["jti"] == jwt_claims(b["refreshJwt"])[1]["jti"]


def test_missing_invalid_and_expired_tokens(sb: RunningSandbox, http: httpx.Client) -> None:
    url = xrpc(sb, "com.atproto.server.getSession")
    none = http.get(url)
    assert none.status_code == 401
    assert none.json() == {"error": "AuthMissing", "message": "Authentication Required"}
    junk = http.get(url, headers=bearer("not-a-token"))
    assert junk.status_code == 400
    assert junk.json() == {"error": "InvalidToken", "message": "Token could not be verified"}
    expired = session(sb, expires_in=0)
    got = http.get(url, headers=bearer(expired["accessJwt"]))
    assert got.status_code == 400
    assert got.json() == {"error": "ExpiredToken", "message": "Token has expired"}
    refreshed = http.post(
        xrpc(sb, "com.atproto.server.refreshSession"), headers=bearer(expired["refreshJwt"])
    )
    assert refreshed.status_code == 200
    dead = session(sb, refresh_expires_in=0)
    got = http.post(
        xrpc(sb, "com.atproto.server.refreshSession"), headers=bearer(dead["refreshJwt"])
    )
    assert got.json() == {"error": "ExpiredToken", "message": "Token has expired"}


def test_create_session_rate_limit(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("bluesky", session_limit_5min=3)
    statuses = [login(sb, http, password="wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]  # failed logins count too
    over = login(sb, http)
    assert over.status_code == 429
    assert over.json() == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    assert over.headers["ratelimit-policy"] == "3;w=300"
    assert over.headers["ratelimit-remaining"] == "0"
    # the limit is per identifier
    assert login(sb, http, OTHER, "othr-3m8w-q6ve-2hjn").status_code == 200


def test_identity_and_profile(sb: RunningSandbox, http: httpx.Client) -> None:
    got = http.get(xrpc(sb, "com.atproto.identity.resolveHandle"), params={"handle": OTHER})
    assert got.json() == {"did": "did:plc:cuecastother5sandbox2bsky"}
    unknown = http.get(xrpc(sb, "com.atproto.identity.resolveHandle"), params={"handle": "x.y"})
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "InvalidRequest", "message": "Unable to resolve handle"}
    profile = http.get(xrpc(sb, "app.bsky.actor.getProfile"), params={"actor": OTHER}).json()
    assert profile["did"] == "did:plc:cuecastother5sandbox2bsky"
    assert profile["handle"] == OTHER and profile["displayName"] == "Cuecast Other"
    assert profile["postsCount"] == 0
    missing = http.get(xrpc(sb, "app.bsky.actor.getProfile"), params={"actor": "no.such"})
    assert missing.json() == {"error": "InvalidRequest", "message": "Profile not found"}


# --- records ----------------------------------------------------------------------------------
def test_create_record_and_read_back(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    text = "Launch 🚀 today: https://cuecast.example/x"
    link_start = len("Launch 🚀 today: ".encode())
    facets = [
        {
            "index": {"byteStart": link_start, "byteEnd": len(text.encode())},
            "features": [
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://cuecast.example/x"}
            ],
        }
    ]
    got = create(sb, http, token, post_record(text, facets=facets, langs=["en", "de"]))
    assert got.status_code == 200, got.text
    body = got.json()
    rkey = body["uri"].rsplit("/", 1)[1]
    assert body["uri"] == f"at://{DEMO_DID}/{POST}/{rkey}" and len(rkey) == 13
    assert body["cid"].startswith("bafyrei") and body["validationStatus"] == "valid"
    assert set(body["commit"]) == {"cid", "rev"}
    read = http.get(
        xrpc(sb, "com.atproto.repo.getRecord"),
        params={"repo": DEMO, "collection": POST, "rkey": rkey},
    )
    assert read.json() == {
        "uri": body["uri"],
        "cid": body["cid"],
        "value": post_record(text, facets=facets, langs=["en", "de"]),
    }
    received = sb.control.received("bluesky", DEMO)
    assert len(received) == 1 and received[0]["text"] == text
    assert received[0]["extra"]["rkey"] == rkey and received[0]["extra"]["facets"] == facets
    assert received[0]["id"] == body["uri"]


def test_text_limits_graphemes_and_bytes(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    family = "👨‍👩‍👧‍👦"  # one grapheme, 25 UTF-8 bytes
    assert create(sb, http, token, post_record("é" * 300)).status_code == 200  # 600 bytes
    over = create(sb, http, token, post_record("a" * 301))
    assert over.status_code == 400
    assert over.json() == {
        "error": "InvalidRequest",
        "message": f"Invalid {POST} record: Record/text must not be longer than 300 graphemes",
    }
    emoji = create(sb, http, token, post_record(family * 120))  # 120 graphemes, 3000 bytes
    assert emoji.status_code == 200, emoji.text
    too_many_bytes = create(sb, http, token, post_record(family * 121))  # 3025 bytes
    assert too_many_bytes.status_code == 400
    assert too_many_bytes.json()["message"] == (
        f"Invalid {POST} record: Record/text must not be longer than 3000 characters"
    )
    no_date = create(sb, http, token, {"$type": POST, "text": "x"})
    assert no_date.json()["message"].endswith('Record must have the property "createdAt"')
    bad_date = create(sb, http, token, post_record(createdAt="2026-11-23 10:00"))
    assert "Record/createdAt must be an valid atproto datetime" in bad_date.json()["message"]
    langs = create(sb, http, token, post_record(langs=["en", "de", "fr", "es"]))
    assert langs.json()["message"].endswith("Record/langs must not have more than 3 elements")


def test_facet_offsets_are_utf8_bytes(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    text = "🎉 @other.bsky.sandbox #launch"
    mention_start = len("🎉 ".encode())  # 5 bytes, but 2 UTF-16 units / 2 code points
    mention_end = mention_start + len("@other.bsky.sandbox")
    good = [
        {
            "index": {"byteStart": mention_start, "byteEnd": mention_end},
            "features": [
                {
                    "$type": "app.bsky.richtext.facet#mention",
                    "did": "did:plc:cuecastother5sandbox2bsky",
                }
            ],
        },
        {
            "index": {"byteStart": mention_end + 1, "byteEnd": len(text.encode())},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "launch"}],
        },
    ]
    assert create(sb, http, token, post_record(text, facets=good)).status_code == 200
    # character offsets (as if counting code points) land inside the emoji's bytes
    chars = [{**good[0], "index": {"byteStart": 1, "byteEnd": 2 + len("@other.bsky.sandbox")}}]
    bad = create(sb, http, token, post_record(text, facets=chars))
    assert bad.status_code == 400 and "inside a UTF-8 character" in bad.json()["message"]
    beyond = [{**good[1], "index": {"byteStart": 30, "byteEnd": 99}}]
    bad = create(sb, http, token, post_record(text, facets=beyond))
    assert "beyond the end of the text" in bad.json()["message"]
    negative = [{**good[1], "index": {"byteStart": -1, "byteEnd": 3}}]
    bad = create(sb, http, token, post_record(text, facets=negative))
    assert bad.json()["message"].endswith("Record/facets/0/index/byteStart can not be less than 0")
    bad_did = [{**good[0], "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "x"}]}]
    bad = create(sb, http, token, post_record(text, facets=bad_did))
    assert bad.json()["message"].endswith("Record/facets/0/features/0/did must be a valid did")
    sb.control.config("bluesky", check_facet_ranges=False)  # as lax as the reference PDS
    assert create(sb, http, token, post_record(text, facets=beyond)).status_code == 200


def test_client_rkey_collision_and_validation(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    rkey = "3lbtwmpqzzk2a"
    first = create(sb, http, token, post_record("once"), rkey=rkey)
    assert first.status_code == 200 and first.json()["uri"].endswith(f"/{rkey}")
    retry = create(sb, http, token, post_record("once"), rkey=rkey)
    assert retry.status_code == 500  # what the reference PDS answers today
    assert retry.json() == {"error": "InternalServerError", "message": "Internal Server Error"}
    sb.control.config("bluesky", duplicate_rkey="invalid_request")
    retry = create(sb, http, token, post_record("once"), rkey=rkey)
    assert retry.status_code == 400 and retry.json()["error"] == "InvalidRequest"
    assert len(sb.control.received("bluesky")) == 1  # exactly once
    not_tid = create(sb, http, token, rkey="my-post-1")
    assert not_tid.status_code == 400 and "is not a TID" in not_tid.json()["message"]
    syntax = create(sb, http, token, rkey="no/slashes")
    assert syntax.json() == {
        "error": "InvalidRequest",
        "message": "Input/rkey must be a valid Record Key",
    }
    sb.control.config("bluesky", require_tid_rkey=False)
    assert create(sb, http, token, rkey="my-post-1").status_code == 200
    # another account's repo
    other = create(sb, http, token, repo="did:plc:cuecastother5sandbox2bsky")
    assert other.status_code == 401 and other.json()["error"] == "AuthenticationRequired"
    wrong_type = create(sb, http, token, {"$type": "app.bsky.feed.like", "text": "x"})
    assert wrong_type.json()["message"] == (
        "Invalid $type: expected app.bsky.feed.post, got app.bsky.feed.like"
    )


def test_replies_put_delete_and_list(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    root = create(sb, http, token, post_record("root")).json()
    ref = {"uri": root["uri"], "cid": root["cid"]}
    reply = create(sb, http, token, post_record("reply", reply={"root": ref, "parent": ref}))
    assert reply.status_code == 200
    received = sb.control.received("bluesky")
    assert received[1]["in_reply_to_id"] == root["uri"]
    assert received[1]["extra"]["reply"] == {"root": ref, "parent": ref}
    half = create(sb, http, token, post_record("x", reply={"root": ref}))
    assert half.json()["message"].endswith('Record/reply must have the property "parent"')
    posts = http.get(xrpc(sb, "app.bsky.feed.getPosts"), params={"uris": [root["uri"]]})
    assert posts.json()["posts"][0]["replyCount"] == 1
    rkeys = []
    for i in range(3):
        rkeys.append(create(sb, http, token, post_record(f"p{i}")).json()["uri"].rsplit("/")[-1])
    params: dict[str, Any] = {"repo": DEMO, "collection": POST, "limit": 2}
    page1 = http.get(xrpc(sb, "com.atproto.repo.listRecords"), params=params).json()
    assert [r["value"]["text"] for r in page1["records"]] == ["p2", "p1"]
    page2 = http.get(
        xrpc(sb, "com.atproto.repo.listRecords"), params={**params, "cursor": page1["cursor"]}
    ).json()
    assert [r["value"]["text"] for r in page2["records"]] == ["p0", "reply"]
    oldest = http.get(
        xrpc(sb, "com.atproto.repo.listRecords"), params={**params, "reverse": "true"}
    ).json()
    assert [r["value"]["text"] for r in oldest["records"]] == ["root", "reply"]
    too_big = http.get(xrpc(sb, "com.atproto.repo.listRecords"), params={**params, "limit": 101})
    assert too_big.json()["message"] == "Params/limit can not be greater than 100"
    put = http.post(
        xrpc(sb, "com.atproto.repo.putRecord"),
        json={"repo": DEMO, "collection": POST, "rkey": rkeys[0], "record": post_record("edit")},
        headers=bearer(token),
    )
    assert put.status_code == 200 and put.json()["uri"].endswith(rkeys[0])
    delete_url = xrpc(sb, "com.atproto.repo.deleteRecord")
    body = {"repo": DEMO_DID, "collection": POST, "rkey": rkeys[0]}
    deleted = http.post(delete_url, json=body, headers=bearer(token))
    assert deleted.status_code == 200 and set(deleted.json()["commit"]) == {"cid", "rev"}
    assert http.post(delete_url, json=body, headers=bearer(token)).json() == {}  # no-op
    gone = http.get(
        xrpc(sb, "com.atproto.repo.getRecord"),
        params={"repo": DEMO, "collection": POST, "rkey": rkeys[0]},
    )
    assert gone.status_code == 400
    assert gone.json() == {
        "error": "RecordNotFound",
        "message": f"Could not locate record: at://{DEMO_DID}/{POST}/{rkeys[0]}",
    }
    assert http.get(
        xrpc(sb, "app.bsky.feed.getPosts"), params={"uris": [f"at://{DEMO_DID}/{POST}/{rkeys[0]}"]}
    ).json() == {"posts": []}


# --- blobs ------------------------------------------------------------------------------------
def test_blobs_and_image_embeds(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    blob = upload(sb, http, token, PNG, "image/jpeg")  # sniffed: the bytes say PNG
    assert blob["$type"] == "blob" and blob["mimeType"] == "image/png"
    assert blob["size"] == len(PNG) and blob["ref"]["$link"].startswith("bafkrei")
    image = {"image": blob, "alt": "a chart", "aspectRatio": {"width": 4, "height": 3}}
    embed = {"$type": "app.bsky.embed.images", "images": [image]}
    got = create(sb, http, token, post_record("pic", embed=embed))
    assert got.status_code == 200, got.text
    assert sb.control.received("bluesky")[0]["media_ids"] == [blob["ref"]["$link"]]
    view = http.get(xrpc(sb, "app.bsky.feed.getPosts"), params={"uris": [got.json()["uri"]]})
    shown = view.json()["posts"][0]["embed"]
    assert shown["$type"] == "app.bsky.embed.images#view"
    assert http.get(shown["images"][0]["fullsize"]).content == PNG
    no_alt = {"$type": "app.bsky.embed.images", "images": [{"image": blob}]}
    bad = create(sb, http, token, post_record("pic", embed=no_alt))
    assert bad.json()["message"].endswith('Record/embed/images/0 must have the property "alt"')
    five = {"$type": "app.bsky.embed.images", "images": [image] * 5}
    bad = create(sb, http, token, post_record("pic", embed=five))
    assert bad.json()["message"].endswith("Record/embed/images must not have more than 4 elements")
    unknown = {
        **blob,
        "ref": {"$link": "bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    }
    bad = create(
        sb,
        http,
        token,
        post_record("pic", embed={**embed, "images": [{**image, "image": unknown}]}),
    )
    assert bad.status_code == 400 and bad.json()["error"] == "BlobNotFound"
    wrong_mime = {**image, "image": {**blob, "mimeType": "image/jpeg"}}
    bad = create(sb, http, token, post_record("pic", embed={**embed, "images": [wrong_mime]}))
    assert bad.json()["error"] == "InvalidMimeType"
    big = upload(sb, http, token, b"\xff\xd8\xff" + b"0" * 1_000_000, "image/jpeg")
    bad = create(
        sb, http, token, post_record("pic", embed={**embed, "images": [{**image, "image": big}]})
    )
    assert bad.json() == {
        "error": "BlobTooLarge",
        "message": "This file is too large. It is 976.57KB but the maximum size is 976.56KB.",
    }
    # another account cannot use demo's blob
    other = session(sb, OTHER)["accessJwt"]
    bad = http.post(
        xrpc(sb, "com.atproto.repo.createRecord"),
        json={"repo": OTHER, "collection": POST, "record": post_record("x", embed=embed)},
        headers=bearer(other),
    )
    assert bad.json()["error"] == "BlobNotFound"
    sb.control.config("bluesky", blob_upload_limit=100)
    huge = http.post(
        xrpc(sb, "com.atproto.repo.uploadBlob"),
        content=PNG,
        headers={**bearer(token), "Content-Type": "image/png"},
    )
    assert huge.status_code == 413 and huge.json()["error"] == "PayloadTooLarge"


# --- metrics and rate limits ------------------------------------------------------------------
def test_get_posts_metrics(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    uri = create(sb, http, token).json()["uri"]
    sb.control.metrics("bluesky", uri, {"likeCount": 7, "repostCount": 2, "quoteCount": 1})
    post = http.get(xrpc(sb, "app.bsky.feed.getPosts"), params={"uris": [uri]}).json()["posts"][0]
    assert (post["likeCount"], post["repostCount"], post["replyCount"], post["quoteCount"]) == (
        7,
        2,
        0,
        1,
    )
    assert post["author"]["handle"] == DEMO and post["record"]["text"] == "hello"
    rkey = uri.rsplit("/", 1)[1]
    assert sb.control.metrics("bluesky", rkey, {"replyCount": 3})["metrics"]["replyCount"] == 3
    too_many = http.get(xrpc(sb, "app.bsky.feed.getPosts"), params={"uris": [uri] * 26})
    assert too_many.json()["message"] == "Params/uris must not have more than 25 elements"
    with pytest.raises(httpx.HTTPStatusError):
        sb.control.metrics("bluesky", uri, {"impressions": 1})


def test_write_points_and_headers(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("bluesky", write_points_hour=10, global_limit=100000)
    token = session(sb)["accessJwt"]
    first = create(sb, http, token)
    assert first.headers["ratelimit-limit"] == "10"
    assert first.headers["ratelimit-remaining"] == "7"  # create = 3 points
    assert first.headers["ratelimit-policy"] == "10;w=3600"
    reset = int(first.headers["ratelimit-reset"])
    assert time.time() + 3500 < reset <= time.time() + 3601
    uri = create(sb, http, token).json()["uri"]  # 4 left
    deleted = http.post(
        xrpc(sb, "com.atproto.repo.deleteRecord"),
        json={"repo": DEMO, "collection": POST, "rkey": uri.rsplit("/", 1)[1]},
        headers=bearer(token),
    )
    assert deleted.headers["ratelimit-remaining"] == "3"  # delete = 1 point
    create(sb, http, token)  # 0 left
    over = create(sb, http, token)
    assert over.status_code == 429
    assert over.json() == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    assert over.headers["ratelimit-remaining"] == "0"
    assert len(sb.control.received("bluesky")) == 3
    # reads are counted against the per-IP budget only
    sb.control.config("bluesky", global_limit=3000)
    read = http.get(xrpc(sb, "app.bsky.actor.getProfile"), params={"actor": DEMO})
    assert read.headers["ratelimit-policy"] == "3000;w=300"


# --- faults -----------------------------------------------------------------------------------
CREATE = "POST /xrpc/com.atproto.repo.createRecord"


def test_fault_error_5xx(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    sb.control.fault("bluesky", "error_5xx", endpoint=CREATE, status=502, count=2)
    assert create(sb, http, token).status_code == 502
    got = create(sb, http, token)
    assert got.json() == {"error": "UpstreamFailure", "message": "Upstream Failure"}
    assert create(sb, http, token).status_code == 200
    assert len(sb.control.received("bluesky")) == 1


def test_fault_timeout_after_accept_then_idempotent_retry(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    token = session(sb)["accessJwt"]
    sb.control.fault("bluesky", "timeout_after_accept", endpoint=CREATE, seconds=2)
    rkey = "3lbtwmpqzzk3b"
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            xrpc(sb, "com.atproto.repo.createRecord"),
            json={"repo": DEMO, "collection": POST, "rkey": rkey, "record": post_record()},
            headers=bearer(token),
            timeout=0.5,
        )
    retry = create(sb, http, token, rkey=rkey)
    assert retry.status_code == 500  # the record exists: the client checks getRecord
    found = http.get(
        xrpc(sb, "com.atproto.repo.getRecord"),
        params={"repo": DEMO, "collection": POST, "rkey": rkey},
    )
    assert found.status_code == 200
    assert len(sb.control.received("bluesky")) == 1


def test_fault_rate_limit_burst(sb: RunningSandbox, http: httpx.Client) -> None:
    token = session(sb)["accessJwt"]
    sb.control.fault("bluesky", "rate_limit_burst", endpoint=CREATE)
    got = create(sb, http, token)
    assert got.status_code == 429 and got.headers["ratelimit-remaining"] == "0"
    assert got.headers["ratelimit-policy"] == "5000;w=3600"
    sb.control.fault(
        "bluesky", "rate_limit_burst", endpoint="POST /xrpc/com.atproto.server.createSession"
    )
    assert login(sb, http).status_code == 429
    assert sb.control.received("bluesky") == []


def test_fault_expire_and_revoke_token(sb: RunningSandbox, http: httpx.Client) -> None:
    pair = session(sb)
    sb.control.fault("bluesky", "expire_token", user=DEMO)
    got = create(sb, http, pair["accessJwt"])
    assert got.status_code == 400
    assert got.json() == {"error": "ExpiredToken", "message": "Token has expired"}
    refreshed = http.post(
        xrpc(sb, "com.atproto.server.refreshSession"), headers=bearer(pair["refreshJwt"])
    ).json()
    assert create(sb, http, refreshed["accessJwt"]).status_code == 200
    sb.control.fault("bluesky", "revoke_token", user=DEMO)
    got = create(sb, http, refreshed["accessJwt"])
    assert got.json() == {"error": "ExpiredToken", "message": "Token has been revoked"}
    failed = http.post(
        xrpc(sb, "com.atproto.server.refreshSession"), headers=bearer(refreshed["refreshJwt"])
    )
    assert failed.status_code == 400
    assert failed.json() == {"error": "ExpiredToken", "message": "Token has been revoked"}
    assert login(sb, http).status_code == 200  # a new createSession still works


def test_fault_slow(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.fault("bluesky", "slow", endpoint="GET /xrpc/app.bsky.actor.getProfile", seconds=0.3)
    start = time.monotonic()
    got = http.get(xrpc(sb, "app.bsky.actor.getProfile"), params={"actor": DEMO})
    assert got.status_code == 200 and time.monotonic() - start >= 0.3
    log = sb.control.requests("bluesky")
    assert log[-1]["fault"] == "slow"


def test_control_index_and_unknown_method(sb: RunningSandbox, http: httpx.Client) -> None:
    index = http.get(f"{sb.url}/_sandbox/").json()["networks"]["bluesky"]
    assert index["base_url"] == f"{sb.url}/bluesky"
    demo = next(u for u in index["users"] if u["handle"] == DEMO)
    assert demo["app_passwords"] == {"cuecast": DEMO_APP_PASSWORD}
    unknown = http.get(xrpc(sb, "app.bsky.nothing.here"))
    assert unknown.status_code == 501 and unknown.json()["error"] == "MethodNotImplemented"
    minted = session(sb, OTHER)
    assert minted["did"] == "did:plc:cuecastother5sandbox2bsky" and minted["handle"] == OTHER
