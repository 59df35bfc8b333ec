"""The X emulator's answers validate against X's official OpenAPI spec (x-openapi.json).

The spec's server is https://api.x.com; emulator paths are the same with the ``/x`` prefix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator, FormatChecker
from sandbox_test_helpers import bearer

from sandbox.testing import RunningSandbox

SPEC_PATH = Path("/work/shared/reference/x-openapi.json")
DEMO_ID = "1849302716458209280"

pytestmark = pytest.mark.skipif(not SPEC_PATH.exists(), reason="x-openapi.json not available")


def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


def assert_valid(template: str, method: str, response: httpx.Response) -> None:
    """Validate ``response`` against the spec's schema for that path, method and status."""
    doc = spec()
    assert response.request.url.path.startswith("/x/2/")
    responses = doc["paths"][template][method.lower()]["responses"]
    declared = responses.get(str(response.status_code), responses.get("default"))
    assert declared is not None, f"{response.status_code} not in the spec for {method} {template}"
    ctype = response.headers["content-type"].split(";")[0]
    assert ctype in declared["content"], f"{ctype} not declared for {response.status_code}"
    schema = declared["content"][ctype]["schema"]
    validator = Draft4Validator(
        {"components": doc["components"], "allOf": [schema]}, format_checker=FormatChecker()
    )
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def assert_valid_request(body: dict[str, Any]) -> None:
    doc = spec()
    schema = doc["paths"]["/2/tweets"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    Draft4Validator({"components": doc["components"], "allOf": [schema]}).validate(body)


@pytest.fixture
def token(sb: RunningSandbox) -> str:
    return str(sb.control.tokens("x", "cuecast_demo")["access_token"])


def test_create_201(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    body = {"text": "Spec check https://example.com", "reply_settings": "following"}
    assert_valid_request(body)
    got = http.post(f"{sb.url}/x/2/tweets", json=body, headers=bearer(token))
    assert got.status_code == 201
    assert_valid("/2/tweets", "POST", got)


def test_lookups_and_timeline_200(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    first = http.post(f"{sb.url}/x/2/tweets", json={"text": "a"}, headers=bearer(token))
    post_id = first.json()["data"]["id"]
    http.post(
        f"{sb.url}/x/2/tweets",
        json={"text": "b", "reply": {"in_reply_to_tweet_id": post_id}},
        headers=bearer(token),
    )
    sb.control.metrics("x", post_id, {"like_count": 3, "retweet_count": 1})
    fields = {
        "tweet.fields": "created_at,public_metrics,non_public_metrics,organic_metrics,"
        "author_id,conversation_id,referenced_tweets,in_reply_to_user_id,reply_settings",
        "expansions": "author_id",
        "user.fields": "created_at",
    }
    one = http.get(f"{sb.url}/x/2/tweets/{post_id}", params=fields, headers=bearer(token))
    assert_valid("/2/tweets/{id}", "GET", one)
    assert one.json()["data"]["public_metrics"]["repost_count"] == 1
    many = http.get(
        f"{sb.url}/x/2/tweets", params={**fields, "ids": f"{post_id},1"}, headers=bearer(token)
    )
    assert_valid("/2/tweets", "GET", many)
    timeline = http.get(
        f"{sb.url}/x/2/users/{DEMO_ID}/tweets",
        params={**fields, "max_results": 5},
        headers=bearer(token),
    )
    assert_valid("/2/users/{id}/tweets", "GET", timeline)
    me = http.get(f"{sb.url}/x/2/users/me", headers=bearer(token))
    assert_valid("/2/users/me", "GET", me)
    deleted = http.delete(f"{sb.url}/x/2/tweets/{post_id}", headers=bearer(token))
    assert_valid("/2/tweets/{id}", "DELETE", deleted)


def test_not_found_errors_array(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    got = http.get(f"{sb.url}/x/2/tweets/12345", headers=bearer(token))
    assert got.status_code == 200
    assert_valid("/2/tweets/{id}", "GET", got)


def test_invalid_request_problem(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    got = http.post(f"{sb.url}/x/2/tweets", json={"text": "a" * 300}, headers=bearer(token))
    assert got.status_code == 400
    assert_valid("/2/tweets", "POST", got)
    bad = http.get(
        f"{sb.url}/x/2/users/{DEMO_ID}/tweets", params={"max_results": 1000}, headers=bearer(token)
    )
    assert_valid("/2/users/{id}/tweets", "GET", bad)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 64


def assert_valid_json_request(template: str, body: dict[str, Any]) -> None:
    doc = spec()
    schema = doc["paths"][template]["post"]["requestBody"]["content"]["application/json"]["schema"]
    Draft4Validator({"components": doc["components"], "allOf": [schema]}).validate(body)


def chunked(
    sb: RunningSandbox, http: httpx.Client, token: str, data: bytes, media_type: str, category: str
) -> tuple[str, httpx.Response]:
    """Initialize, append and finalize, validating each answer; the id and finalize's answer."""
    body = {"media_type": media_type, "total_bytes": len(data), "media_category": category}
    assert_valid_json_request("/2/media/upload/initialize", body)
    started = http.post(f"{sb.url}/x/2/media/upload/initialize", json=body, headers=bearer(token))
    assert started.status_code == 200
    assert_valid("/2/media/upload/initialize", "POST", started)
    media_id = started.json()["data"]["id"]
    appended = http.post(
        f"{sb.url}/x/2/media/upload/{media_id}/append",
        data={"segment_index": "0"},
        files={"media": ("blob", data, "application/octet-stream")},
        headers=bearer(token),
    )
    assert appended.status_code == 200
    assert_valid("/2/media/upload/{id}/append", "POST", appended)
    done = http.post(f"{sb.url}/x/2/media/upload/{media_id}/finalize", headers=bearer(token))
    assert done.status_code == 200
    assert_valid("/2/media/upload/{id}/finalize", "POST", done)
    return media_id, done


def test_media_image_flow(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    media_id, _ = chunked(sb, http, token, PNG, "image/png", "tweet_image")
    got = http.get(
        f"{sb.url}/x/2/media/upload",
        params={"command": "STATUS", "media_id": media_id},
        headers=bearer(token),
    )
    assert_valid("/2/media/upload", "GET", got)
    body = {"id": media_id, "metadata": {"alt_text": {"text": "Alt"}}}
    assert_valid_json_request("/2/media/metadata", body)
    meta = http.post(f"{sb.url}/x/2/media/metadata", json=body, headers=bearer(token))
    assert meta.status_code == 200
    assert_valid("/2/media/metadata", "POST", meta)
    simple = http.post(
        f"{sb.url}/x/2/media/upload",
        data={"media_category": "tweet_image"},
        files={"media": ("a.png", PNG, "image/png")},
        headers=bearer(token),
    )
    assert simple.status_code == 200
    assert_valid("/2/media/upload", "POST", simple)
    post_body = {"text": "With media", "media": {"media_ids": [media_id]}}
    assert_valid_request(post_body)
    created = http.post(f"{sb.url}/x/2/tweets", json=post_body, headers=bearer(token))
    assert created.status_code == 201
    assert_valid("/2/tweets", "POST", created)
    looked = http.get(
        f"{sb.url}/x/2/tweets/{created.json()['data']['id']}",
        params={"tweet.fields": "attachments"},
        headers=bearer(token),
    )
    assert_valid("/2/tweets/{id}", "GET", looked)


def test_media_video_processing(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    sb.control.config("x", media_pending_seconds=0, media_processing_seconds=600)
    media_id, done = chunked(sb, http, token, MP4, "video/mp4", "tweet_video")
    assert done.json()["data"]["processing_info"]["state"] == "in_progress"
    got = http.get(
        f"{sb.url}/x/2/media/upload", params={"media_id": media_id}, headers=bearer(token)
    )
    assert_valid("/2/media/upload", "GET", got)
    refused = http.post(
        f"{sb.url}/x/2/tweets",
        json={"text": "Video", "media": {"media_ids": [media_id]}},
        headers=bearer(token),
    )
    assert refused.status_code == 400
    assert_valid("/2/tweets", "POST", refused)


def test_media_errors(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    bad_init = http.post(
        f"{sb.url}/x/2/media/upload/initialize",
        json={"media_type": "image/png", "total_bytes": -1},
        headers=bearer(token),
    )
    assert bad_init.status_code == 400
    assert_valid("/2/media/upload/initialize", "POST", bad_init)
    short = http.post(
        f"{sb.url}/x/2/media/upload/initialize",
        json={"media_type": "image/png", "total_bytes": 10},
        headers=bearer(token),
    )
    finalized = http.post(
        f"{sb.url}/x/2/media/upload/{short.json()['data']['id']}/finalize", headers=bearer(token)
    )
    assert finalized.status_code == 400
    assert_valid("/2/media/upload/{id}/finalize", "POST", finalized)
    unknown = http.get(
        f"{sb.url}/x/2/media/upload", params={"media_id": "123"}, headers=bearer(token)
    )
    assert unknown.status_code == 400
    assert_valid("/2/media/upload", "GET", unknown)
