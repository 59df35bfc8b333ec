"""Fixtures for the REST API: keys of each role, a client that speaks JSON with a bearer key, and a
second workspace (B) whose key must never see workspace A's objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cuecast.accounts.models import Role


class Api:
    """Django's full request stack (middleware, CSRF enforced) with a bearer key."""

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.client = Client(enforce_csrf_checks=True)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, params or {}, headers=self._headers())

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        idempotency_key: str | None = None,
        raw: str | None = None,
    ) -> Any:
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else {}
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.post(
            path, data, content_type="application/json", headers=self._headers(extra)
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", headers=self._headers()
        )


@pytest.fixture
def make_key(actor: Any) -> Callable[..., str]:
    """A plaintext API key of workspace A with the given role."""
    from cuecast.accounts.services import create_api_key

    def make(role: Role = Role.ADMIN, name: str = "test key") -> str:
        return create_api_key(actor, name=name, role=role)[1]

    return make


@pytest.fixture
def api(make_key: Callable[..., str]) -> Api:
    """Workspace A, admin key."""
    return Api(make_key(Role.ADMIN))


@pytest.fixture
def api_as(make_key: Callable[..., str]) -> Callable[[Role], Api]:
    return lambda role: Api(make_key(role, name=f"{role} key"))


@pytest.fixture
def other_api(db: None) -> Api:
    """Workspace B's owner key."""
    from cuecast.accounts.models import User
    from cuecast.accounts.services import actor_for_user, create_api_key, create_workspace

    bob = User.objects.create_user("bob", email="bob@example.com", password="another horse battery")
    workspace_b = create_workspace(slug="globex", name="Globex", owner=bob)
    actor_b = actor_for_user(bob, workspace_b)
    assert actor_b is not None
    return Api(create_api_key(actor_b, name="b", role=Role.OWNER)[1])


@pytest.fixture
def campaign(api: Api) -> dict[str, Any]:
    """A campaign ending on 1 Nov 2027, the day after Berlin leaves summer time."""
    response = api.post(
        "/api/v1/campaigns",
        {
            "name": "Winter sale",
            "starts_at": "2027-10-01T09:00:00+02:00",
            "ends_at": "2027-11-01T18:00:00+01:00",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def row_counts() -> dict[str, int]:
    from cuecast.api.models import IdempotentRequest
    from cuecast.posts.models import Post, Schedule, Target

    return {
        "posts": Post.objects.count(),
        "targets": Target.objects.count(),
        "schedules": Schedule.objects.count(),
        "idempotent": IdempotentRequest.objects.count(),
    }
