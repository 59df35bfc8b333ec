"""Every row of the Meta ads error mapping, from the JSON fixtures in fixtures/ (Graph error
envelopes as the Marketing API docs and error-code pages word them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast.campaigns.sources.meta import errors
from cuecast.networks import errors as tree

FIXTURES = Path(__file__).parent / "fixtures"


def response(name: str) -> httpx.Response:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    content = json.dumps(spec["body"]) if "body" in spec else spec["text"]
    return httpx.Response(spec["status"], headers=headers, content=content)


TABLE: list[tuple[str, type[tree.NetworkError], str]] = [
    ("token_expired_190_463", tree.Disconnected, "190.463"),
    ("token_revoked_190_460", tree.Disconnected, "190.460"),
    ("permission_200", tree.Disconnected, "200"),
    ("permission_10", tree.Disconnected, "10"),
    ("user_limit_17", tree.RateLimited, "17.2446079"),
    ("account_limit_613", tree.RateLimited, "613.1487742"),
    ("insights_buc_80000", tree.RateLimited, "80000"),
    ("management_buc_80004", tree.RateLimited, "80004"),
    ("app_limit_4_1504022", tree.RateLimited, "4.1504022"),
    ("too_much_data_100_1487534", errors.TooMuchData, "100.1487534"),
    ("sync_timeout_100_1504018", errors.InsightsTimeout, "100.1504018"),
    ("sync_timeout_2_1504038", errors.InsightsTimeout, "2.1504038"),
    ("invalid_parameter_100", tree.Permanent, "100"),
    ("unknown_1", tree.Transient, "1"),
    ("report_failed_minus2_2490547", tree.Transient, "-2.2490547"),
    ("bad_gateway_502_html", tree.Transient, "http_502"),
]


def test_every_fixture_is_in_the_table() -> None:
    assert {p.stem for p in FIXTURES.glob("*.json")} == {name for name, _, _ in TABLE}


@pytest.mark.parametrize(("name", "kind", "code"), TABLE, ids=[t[0] for t in TABLE])
def test_mapping(name: str, kind: type[tree.NetworkError], code: str) -> None:
    mapped = errors.from_response(response(name))
    assert type(mapped) is kind
    assert mapped.code == code
    assert mapped.message and "fbtrace" not in mapped.message


def test_subclasses_stay_in_the_tree() -> None:
    assert issubclass(errors.TooMuchData, tree.Permanent)
    assert issubclass(errors.InsightsTimeout, tree.Transient)


@pytest.mark.parametrize(
    ("name", "minutes"),
    [("user_limit_17", 7), ("account_limit_613", 3), ("insights_buc_80000", 12)],
)
def test_throttling_waits_as_long_as_meta_estimates(name: str, minutes: int) -> None:
    before = datetime.now(UTC)
    mapped = errors.from_response(response(name))
    assert isinstance(mapped, tree.RateLimited) and mapped.retry_at is not None
    # estimated_time_to_regain_access (minutes) plus the one-minute margin
    expected = before + timedelta(minutes=minutes + 1)
    assert expected - timedelta(seconds=5) <= mapped.retry_at <= expected + timedelta(seconds=5)


def test_throttling_without_an_estimate_waits_the_default() -> None:
    before = datetime.now(UTC)
    mapped = errors.from_response(response("management_buc_80004"))
    assert isinstance(mapped, tree.RateLimited) and mapped.retry_at is not None
    assert mapped.retry_at >= before + errors.DEFAULT_WAIT - timedelta(seconds=1)


def test_permanent_shows_metas_own_words() -> None:
    mapped = errors.from_response(response("invalid_parameter_100"))
    assert "Tried accessing nonexisting field" in mapped.message
    assert not mapped.message.startswith("(#100)")


def test_transport_failure_is_transient() -> None:
    mapped = errors.from_transport(httpx.ReadTimeout("slow"))
    assert isinstance(mapped, tree.Transient) and mapped.code == "ReadTimeout"
