"""Every row of the Google Ads error mapping, driven by recorded bodies in fixtures/ over
MockTransport. Each fixture is {source, status, content_type, headers, body | text}."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cuecast.campaigns.sources.google import errors as gerrors
from cuecast.networks import errors as tree

from .conftest import CFG, connection, respond

pytestmark = pytest.mark.anyio

# fixture → (error class with a refresh token, error class without one, code)
API_ROWS: list[tuple[str, type[tree.NetworkError], type[tree.NetworkError], str]] = [
    ("oauth_token_expired_401", tree.AuthExpired, tree.Disconnected, "OAUTH_TOKEN_EXPIRED"),
    ("oauth_token_invalid_401", tree.AuthExpired, tree.Disconnected, "OAUTH_TOKEN_INVALID"),
    ("unauthenticated_plain_401", tree.AuthExpired, tree.Disconnected, "UNAUTHENTICATED"),
    ("oauth_token_revoked_401", tree.Disconnected, tree.Disconnected, "OAUTH_TOKEN_REVOKED"),
    ("not_ads_user_401", tree.Disconnected, tree.Disconnected, "NOT_ADS_USER"),
    (
        "user_permission_denied_403",
        tree.Disconnected,
        tree.Disconnected,
        "USER_PERMISSION_DENIED",
    ),
    ("customer_not_enabled_403", tree.Disconnected, tree.Disconnected, "CUSTOMER_NOT_ENABLED"),
    (
        "cloud_project_not_approved_403",
        tree.AccessTierMissing,
        tree.AccessTierMissing,
        "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION",
    ),
    (
        "developer_token_not_approved_403",
        tree.AccessTierMissing,
        tree.AccessTierMissing,
        "DEVELOPER_TOKEN_NOT_APPROVED",
    ),
    ("quota_resource_exhausted_429", tree.RateLimited, tree.RateLimited, "RESOURCE_EXHAUSTED"),
    (
        "quota_temporarily_exhausted_429",
        tree.RateLimited,
        tree.RateLimited,
        "RESOURCE_TEMPORARILY_EXHAUSTED",
    ),
    ("query_unrecognized_field_400", tree.Permanent, tree.Permanent, "UNRECOGNIZED_FIELD"),
    ("request_invalid_customer_id_400", tree.Permanent, tree.Permanent, "INVALID_CUSTOMER_ID"),
    ("internal_error_500", tree.Transient, tree.Transient, "INTERNAL_ERROR"),
    ("unavailable_503", tree.Transient, tree.Transient, "UNAVAILABLE"),
    ("deadline_exceeded_504", tree.Transient, tree.Transient, "DEADLINE_EXCEEDED"),
    ("gateway_html_502", tree.Transient, tree.Transient, "http_502"),
]


async def _raised(fixture: str, *, refresh: bool) -> tree.NetworkError:
    def handler(request: httpx.Request) -> httpx.Response:
        return respond(fixture)

    conn, client = connection(handler, refresh=refresh)
    async with client:
        with pytest.raises(tree.NetworkError) as caught:
            await conn.list_campaigns()
    return caught.value


@pytest.mark.parametrize(("fixture", "with_refresh", "without_refresh", "code"), API_ROWS)
async def test_api_error_row(
    fixture: str,
    with_refresh: type[tree.NetworkError],
    without_refresh: type[tree.NetworkError],
    code: str,
) -> None:
    for refresh, expected in ((True, with_refresh), (False, without_refresh)):
        error = await _raised(fixture, refresh=refresh)
        assert type(error) is expected, (fixture, refresh, error)
        assert error.code == code
        assert error.status == respond(fixture).status_code
        # Shown to users: one sentence, no secrets, no Google internals.
        assert "AT-secret" not in error.message and "RT-secret" not in error.message


async def test_retry_delay_is_honoured() -> None:
    before = datetime.now(UTC)
    error = await _raised("quota_resource_exhausted_429", refresh=True)
    assert isinstance(error, tree.RateLimited) and error.retry_at is not None
    assert before + timedelta(seconds=29) <= error.retry_at <= before + timedelta(seconds=32)
    error = await _raised("quota_temporarily_exhausted_429", refresh=True)
    assert isinstance(error, tree.RateLimited) and error.retry_at is not None
    assert before + timedelta(seconds=125) <= error.retry_at <= before + timedelta(seconds=128)


async def test_a_refused_query_is_logged_as_a_bug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="cuecast.campaigns.google"):
        await _raised("query_unrecognized_field_400", refresh=True)
    assert "UNRECOGNIZED_FIELD" in caplog.text
    assert "Xq9ZpA1bC2dE3fG4hI5jKl" in caplog.text  # Google's request id, for support


async def test_transport_failure_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    conn, client = connection(handler)
    async with client:
        with pytest.raises(tree.Transient):
            await conn.list_campaigns()


TOKEN_ROWS: list[tuple[str, bool, type[tree.NetworkError], str]] = [
    ("token_invalid_grant_400", True, tree.Disconnected, "invalid_grant"),
    ("token_bad_code_400", False, tree.Permanent, "invalid_grant"),
    ("token_invalid_client_401", True, tree.Permanent, "invalid_client"),
    ("token_invalid_client_401", False, tree.Permanent, "invalid_client"),
    ("unavailable_503", True, tree.Transient, "http_503"),
]


@pytest.mark.parametrize(("fixture", "refreshing", "expected", "code"), TOKEN_ROWS)
def test_token_error_row(
    fixture: str, refreshing: bool, expected: type[tree.NetworkError], code: str
) -> None:
    error = gerrors.from_token_response(respond(fixture), refreshing=refreshing)
    assert type(error) is expected
    assert error.code == code


async def test_refresh_refused_disconnects() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == CFG.google_ads_token_url
        return respond("token_invalid_grant_400")

    conn, client = connection(handler)
    async with client:
        with pytest.raises(tree.Disconnected):
            await conn.refresh_credentials()


def test_every_table_row_names_a_known_outcome() -> None:
    outcomes = {
        gerrors.AUTH,
        gerrors.DISCONNECTED,
        gerrors.TIER,
        gerrors.RATE,
        gerrors.PERMANENT,
        gerrors.BUG,
        gerrors.TRANSIENT,
    }
    assert all(outcome in outcomes for outcome, _ in gerrors.TABLE.values())
    # BUDGET_CONSTRAINED is a primary-status reason, not an error; the table only has
    # GoogleAdsFailure categories.
    categories = {category for category, _ in gerrors.TABLE}
    assert categories == {
        "authenticationError",
        "authorizationError",
        "quotaError",
        "headerError",
        "queryError",
        "requestError",
        "fieldError",
        "internalError",
    }


def test_duration_forms() -> None:
    assert gerrors.parse_duration("30s") == timedelta(seconds=30)
    assert gerrors.parse_duration("0.5s") == timedelta(milliseconds=500)
    assert gerrors.parse_duration({"seconds": "12", "nanos": 0}) == timedelta(seconds=12)
    assert gerrors.parse_duration("soon") is None
    spec: Any = None
    assert gerrors.parse_duration(spec) is None
