"""The connector's outgoing requests validate against X's OpenAPI spec (x-openapi.json).

Media upload is exercised here over httpx.MockTransport: the sandbox does not emulate
/2/media/upload yet (to do: a sandbox test once it does).
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from jsonschema import Draft4Validator, FormatChecker

from cuecast import config, http
from cuecast.networks.base import Account, MediaItem, Part, PublishRequest
from cuecast.networks.x import XNetwork

pytestmark = pytest.mark.anyio
SPEC_PATH = Path("/work/shared/reference/x-openapi.json")
if not SPEC_PATH.exists():
    pytest.skip("x-openapi.json not available", allow_module_level=True)
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())
CFG = dataclasses.replace(
    config.load(),
    x_api_url="https://api.x.test",
    x_web_url="https://x.test",
    x_client_id="cid",
    x_client_secret="csecret",
)


def validate(schema: dict[str, Any], value: Any) -> None:
    validator = Draft4Validator(
        {"components": SPEC["components"], "allOf": [schema]}, format_checker=FormatChecker()
    )
    problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(value)]
    assert not problems, problems


def body_schema(path: str, method: str, ctype: str) -> dict[str, Any]:
    schema: dict[str, Any] = SPEC["paths"][path][method]["requestBody"]["content"][ctype]["schema"]
    return schema


def param_schemas(path: str, method: str) -> dict[str, dict[str, Any]]:
    out = {}
    for param in SPEC["paths"][path][method].get("parameters", []):
        if "$ref" in param:
            param = SPEC["components"]["parameters"][param["$ref"].split("/")[-1]]
        out[param["name"]] = param["schema"]
    return out


def multipart_fields(request: httpx.Request) -> dict[str, bytes]:
    raw = (
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    )
    message = BytesParser(policy=HTTP).parsebytes(raw)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = part.get_payload(decode=True)
    return fields


class FakeX:
    """Answers like X (shapes from the spec) and keeps every request for validation."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.next_id = 1880028106020515840
        self.status_polls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        self.next_id += 1
        if path == "/2/tweets":
            return httpx.Response(201, json={"data": {"id": str(self.next_id), "text": "t"}})
        if path == "/2/media/upload/initialize":
            media = str(self.next_id)
            return httpx.Response(
                200,
                json={
                    "data": {"id": media, "media_key": f"3_{media}", "expires_after_secs": 86399}
                },
            )
        if path.endswith("/append"):
            return httpx.Response(200, json={"data": {"expires_at": 1800000000}})
        if path.endswith("/finalize"):
            media = path.split("/")[-2]
            info = {"state": "pending", "check_after_secs": 1}
            return httpx.Response(200, json={"data": {"id": media, "processing_info": info}})
        if path == "/2/media/upload" and request.method == "GET":
            self.status_polls += 1
            media = request.url.params["media_id"]
            return httpx.Response(
                200, json={"data": {"id": media, "processing_info": {"state": "succeeded"}}}
            )
        if path == "/2/media/metadata":
            return httpx.Response(200, json={"data": {"id": "1", "associated_metadata": True}})
        if path.startswith("/2/users/") and path.endswith("/tweets"):
            return httpx.Response(200, json={"meta": {"result_count": 0}})
        if path == "/2/oauth2/token":
            return httpx.Response(
                200,
                json={
                    "token_type": "bearer",
                    "expires_in": 7200,
                    "access_token": "a2",
                    "refresh_token": "r2",
                    "scope": "tweet.read",
                },
            )
        return httpx.Response(404)


async def test_outgoing_requests_match_the_spec(tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 5000)
    fake = FakeX()
    network = XNetwork(CFG)
    account = Account(
        external_id="2244994945",
        handle="demo",
        base_url="",
        credentials={"access_token": "at", "refresh_token": "rt", "expires_at": None},
    )
    async with http.async_client(transport=httpx.MockTransport(fake.handler)) as client:
        conn = network.connect(account, client)
        media = MediaItem(
            path=str(image), content_type="image/png", size_bytes=5008, alt_text="A logo"
        )
        result = await conn.publish(
            PublishRequest(
                parts=(Part("head with image", (media,)), Part("tail")),
                idempotency_key="k",
                attempt_started_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
            )
        )
        await conn.find_published(
            PublishRequest(
                parts=(Part("head"),),
                idempotency_key="k",
                attempt_started_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
            )
        )
        await conn.refresh_credentials()
    assert len(result.part_ids) == 2
    assert fake.status_polls == 1
    seen = [f"{r.method} {r.url.path}" for r in fake.requests]
    assert seen[:6] == [
        "POST /2/media/upload/initialize",
        f"POST {fake.requests[1].url.path}",
        f"POST {fake.requests[2].url.path}",
        "GET /2/media/upload",
        "POST /2/media/metadata",
        "POST /2/tweets",
    ]
    for request in fake.requests:
        path = request.url.path
        assert request.headers["authorization"].startswith(
            "Bearer " if path != "/2/oauth2/token" else "Basic "
        )
        if path == "/2/tweets":
            validate(
                body_schema("/2/tweets", "post", "application/json"), json.loads(request.content)
            )
        elif path == "/2/media/upload/initialize":
            body = json.loads(request.content)
            validate(body_schema(path, "post", "application/json"), body)
            assert body == {
                "media_type": "image/png",
                "total_bytes": 5008,
                "media_category": "tweet_image",
            }
        elif path.endswith("/append"):
            media_id = path.split("/")[-2]
            assert re.fullmatch(
                SPEC["paths"]["/2/media/upload/{id}/append"]["post"]["parameters"][0]["schema"][
                    "pattern"
                ],
                media_id,
            )
            assert request.headers["content-type"].startswith("multipart/form-data")
            fields = multipart_fields(request)
            assert fields["media"] == image.read_bytes()
            form = {"segment_index": int(fields["segment_index"]), "media": "<binary>"}
            validate(
                body_schema("/2/media/upload/{id}/append", "post", "multipart/form-data"), form
            )
        elif path.endswith("/finalize"):
            assert request.content == b""
        elif path == "/2/media/upload":
            params = dict(request.url.params)
            schemas = param_schemas("/2/media/upload", "get")
            for name, value in params.items():
                validate(schemas[name], value)
        elif path == "/2/media/metadata":
            validate(body_schema(path, "post", "application/json"), json.loads(request.content))
        elif path.endswith("/tweets"):  # the timeline
            schemas = param_schemas("/2/users/{id}/tweets", "get")
            params = dict(request.url.params)
            validate(schemas["max_results"], int(params["max_results"]))
            validate(schemas["start_time"], params["start_time"])
            assert params["start_time"] == "2026-11-23T11:59:00Z"
        elif path == "/2/oauth2/token":
            # Not in x-openapi.json (only as securitySchemes.OAuth2UserToken tokenUrl): check the
            # documented form (docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code).
            flows = SPEC["components"]["securitySchemes"]["OAuth2UserToken"]["flows"]
            assert flows["authorizationCode"]["tokenUrl"].endswith(path)
            assert request.headers["content-type"] == "application/x-www-form-urlencoded"
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert form == {
                "grant_type": "refresh_token",
                "refresh_token": "rt",
                "client_id": "cid",
            }
    bodies = [json.loads(r.content) for r in fake.requests if r.url.path == "/2/tweets"]
    assert bodies[0] == {
        "text": "head with image",
        "media": {"media_ids": [bodies[0]["media"]["media_ids"][0]]},
    }
    assert bodies[1] == {"text": "tail", "reply": {"in_reply_to_tweet_id": result.external_id}}


async def test_code_exchange_form(tmp_path: Path) -> None:
    fake = FakeX()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/2/users/me":
            fake.requests.append(request)
            return httpx.Response(
                200, json={"data": {"id": "2244994945", "name": "X Dev", "username": "XDevelopers"}}
            )
        return fake.handler(request)

    network = XNetwork(CFG, transport=httpx.MockTransport(handler))
    account = await network.oauth().finish(
        code="the-code",
        redirect_uri="https://app.test/cb",
        session_data={"code_verifier": "v" * 43},
    )
    token = fake.requests[0]
    form = {k: v[0] for k, v in parse_qs(token.content.decode()).items()}
    assert form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://app.test/cb",
        "code_verifier": "v" * 43,
        "client_id": "cid",
    }
    assert token.headers["authorization"] == "Basic Y2lkOmNzZWNyZXQ="  # cid:csecret
    assert account.handle == "XDevelopers" and account.credentials["refresh_token"] == "r2"
