"""Bearer API keys: missing, malformed, unknown and revoked keys get 401 with a sentence."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from cuecast.accounts.models import ApiKey, Role
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def _assert_401(response: object, fragment: str) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert fragment in body["detail"]
    assert body["errors"] == []
    assert response["WWW-Authenticate"].startswith("Bearer")  # type: ignore[index]


def test_missing_key_is_refused() -> None:
    _assert_401(Api(None).get("/api/v1/channels"), "needs an API key")


def test_wrong_scheme_is_refused(make_key: Callable[..., str]) -> None:
    key = make_key()
    response = Client().get("/api/v1/channels", headers={"Authorization": f"Token {key}"})
    _assert_401(response, "Authorization: Bearer")


@pytest.mark.parametrize("key", ["nonsense", "cc_deadbeef_not-the-secret", "cc_", " "])
def test_unknown_key_is_refused(key: str) -> None:
    _assert_401(Api(key).get("/api/v1/channels"), "not valid")


def test_right_prefix_wrong_secret_is_refused(make_key: Callable[..., str]) -> None:
    key = make_key()
    _assert_401(Api(key[:-4] + "AAAA").get("/api/v1/channels"), "not valid")


def test_revoked_key_is_refused(make_key: Callable[..., str]) -> None:
    key = make_key()
    assert Api(key).get("/api/v1/channels").status_code == 200
    ApiKey.objects.update(revoked_at=timezone.now())
    _assert_401(Api(key).get("/api/v1/channels"), "revoked")


def test_key_use_is_recorded(make_key: Callable[..., str]) -> None:
    key = make_key(Role.VIEWER)
    Api(key).get("/api/v1/channels")
    assert ApiKey.objects.get(role=Role.VIEWER).last_used_at is not None


def test_post_without_key_is_401_not_csrf_403() -> None:
    response = Api(None).post("/api/v1/posts", {"text": "hi", "targets": []})
    _assert_401(response, "needs an API key")


def test_no_csrf_token_needed_with_a_key(api: Api) -> None:
    # The Api client enforces CSRF checks; a bearer-key POST passes without any token.
    response = api.post("/api/v1/posts", {"text": "hi", "targets": []})
    assert response.status_code == 422
