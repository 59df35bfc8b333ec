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
