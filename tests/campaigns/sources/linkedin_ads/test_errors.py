"""Every row of the LinkedIn Ads error mapping, from the JSON fixtures in fixtures/ (LinkedIn's
`{"status", "serviceErrorCode", "code", "message"}` bodies, learn.microsoft.com/linkedin/shared/
api-guide/concepts/error-handling)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast.campaigns.sources.linkedin_ads import errors
from cuecast.networks import errors as tree

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)


def response(name: str) -> httpx.Response:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    content = json.dumps(spec["body"]) if "body" in spec else spec["text"]
    return httpx.Response(spec["status"], headers=headers, content=content)


# (fixture, refreshable, kind, code)
TABLE: list[tuple[str, bool, type[tree.NetworkError], str]] = [
    ("expired_401", True, tree.AuthExpired, "EXPIRED_ACCESS_TOKEN"),
    ("expired_401", False, tree.Disconnected, "EXPIRED_ACCESS_TOKEN"),
    ("invalid_401", True, tree.AuthExpired, "INVALID_ACCESS_TOKEN"),
    ("revoked_401", True, tree.Disconnected, "REVOKED_ACCESS_TOKEN"),
    ("denied_403", False, tree.Disconnected, "ACCESS_DENIED"),
    ("throttled_429", False, tree.QuotaExhausted, "TOO_MANY_REQUESTS"),
    ("throttled_429_empty", False, tree.QuotaExhausted, "rate_limited"),
    ("version_missing_400", False, tree.Permanent, "VERSION_MISSING"),
    ("version_sunset_426", False, tree.Permanent, "NONEXISTENT_VERSION"),
    ("too_many_fields_400", False, tree.Permanent, "ILLEGAL_ARGUMENT"),
    ("not_found_404", False, tree.Permanent, "not_found"),
    ("server_error_500", False, tree.Transient, "http_500"),
    ("gateway_504_html", False, tree.Transient, "http_504"),
]


def test_every_fixture_is_in_the_table() -> None:
    assert {p.stem for p in FIXTURES.glob("*.json")} == {row[0] for row in TABLE}


@pytest.mark.parametrize(
    ("name", "refreshable", "kind", "code"), TABLE, ids=[f"{t[0]}-{t[1]}" for t in TABLE]
)
def test_mapping(name: str, refreshable: bool, kind: type[tree.NetworkError], code: str) -> None:
    mapped = errors.from_response(response(name), refreshable=refreshable, now=NOW)
    assert type(mapped) is kind
    assert mapped.code == code
    assert mapped.message


def test_429_waits_until_midnight_utc() -> None:
    mapped = errors.from_response(response("throttled_429"), now=NOW)
    assert isinstance(mapped, tree.QuotaExhausted)
    assert mapped.retry_at == datetime(2026, 11, 24, tzinfo=UTC)


def test_version_errors_speak_to_the_operator() -> None:
    for name in ("version_missing_400", "version_sunset_426"):
        assert "administrator" in errors.from_response(response(name)).message


def test_other_refusals_show_linkedins_words() -> None:
    mapped = errors.from_response(response("too_many_fields_400"))
    assert "exceeds the limit of 20" in mapped.message


def test_transport_failure_is_transient() -> None:
    mapped = errors.from_transport(httpx.ConnectError("refused"))
    assert isinstance(mapped, tree.Transient) and mapped.code == "ConnectError"
