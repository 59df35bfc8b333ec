"""Every row of the Microsoft Advertising error mapping, from recorded bodies over MockTransport.

Bodies follow Microsoft's REST fault shapes (AdApiFaultDetail / ApiFaultDetail, codes and messages
from guides/operation-error-codes) and the identity platform's token errors; each fixture is
{status, content_type, headers, body | text}.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cuecast.campaigns.sources.microsoft import errors as mserrors
from cuecast.networks import errors as tree

from .helpers import connection, respond

pytestmark = pytest.mark.anyio

# (fixture, expected class, expected code)
API_ROWS = [
    ("invalid_credentials_105", tree.Disconnected, "InvalidCredentials"),
    ("user_not_authorized_106", tree.Disconnected, "UserIsNotAuthorized"),
    ("token_expired_109", tree.AuthExpired, "AuthenticationTokenExpired"),
    ("call_rate_exceeded_117", tree.RateLimited, "CallRateExceeded"),
    ("concurrent_reports_207", tree.Transient, "ConcurrentRequestOverLimit"),
    ("internal_error_0", tree.Transient, "InternalError"),
    ("service_unavailable_503_html", tree.Transient, "http_503"),
    ("invalid_account_1102", tree.Permanent, "CampaignServiceInvalidAccountId"),
    ("missing_headers_116", tree.Permanent, "RequestMissingHeaders"),
    ("no_complete_data_2004", tree.Permanent, "NoCompleteDataAvaliable"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(("fixture", "kind", "code"), API_ROWS)
async def test_api_fault_rows(fixture: str, kind: type[tree.NetworkError], code: str) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as caught:
            await conn.list_campaigns()
    error = caught.value
    assert type(error) is kind
    assert error.code == code
    assert error.message.endswith(".")
    assert "AT-secret" not in error.message and "devtoken" not in error.message


async def test_rate_limit_retries_after_the_sixty_second_window() -> None:
    before = datetime.now(UTC)
    conn, client = connection(lambda request: respond("call_rate_exceeded_117"))
    async with client:
        with pytest.raises(tree.RateLimited) as caught:
            await conn.list_campaigns()
    assert caught.value.retry_at is not None
    assert before + timedelta(seconds=59) <= caught.value.retry_at
    assert caught.value.retry_at <= datetime.now(UTC) + timedelta(seconds=61)


async def test_permanent_errors_say_what_microsoft_said() -> None:
    conn, client = connection(lambda request: respond("missing_headers_116"))
    async with client:
        with pytest.raises(tree.Permanent) as caught:
            await conn.list_campaigns()
    assert "header elements are missing" in caught.value.message


async def test_report_submit_faults_map_the_same_way() -> None:
    conn, client = connection(lambda request: respond("concurrent_reports_207"))
    async with client:
        with pytest.raises(tree.Transient):
            await conn.daily_metrics(
                ["1"], datetime(2026, 11, 1).date(), datetime(2026, 11, 2).date()
            )


TOKEN_ROWS = [
    ("token_invalid_grant_400", tree.Disconnected, "invalid_grant"),
    ("token_invalid_client_401", tree.Permanent, "invalid_client"),
    ("service_unavailable_503_html", tree.Transient, "http_503"),
]


@pytest.mark.parametrize(("fixture", "kind", "code"), TOKEN_ROWS)
async def test_refresh_rows(fixture: str, kind: type[tree.NetworkError], code: str) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as caught:
            await conn.refresh_credentials()
    assert type(caught.value) is kind
    assert caught.value.code == code


async def test_transport_failure_is_transient() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    conn, client = connection(fail)
    async with client:
        with pytest.raises(tree.Transient):
            await conn.list_campaigns()


def test_every_mapped_code_has_a_fixture() -> None:
    recorded = {int(name.rsplit("_", 1)[1]) for name, _, _ in API_ROWS if name[-1].isdigit()}
    assert set(mserrors.FAULTS) <= recorded
