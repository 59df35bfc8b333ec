"""Idempotency-Key on POST: a repeat returns the first answer and creates nothing."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection

from cuecast.accounts.models import Role
from cuecast.api.models import IdempotentRequest
from cuecast.posts.models import Post
from tests.api.conftest import Api, row_counts


def _body(channels: dict[str, Any], text: str = "Once only.") -> dict[str, Any]:
    return {
        "text": text,
        "targets": [{"channel_id": channels["x"].pk}],
        "schedule": {"at": "2027-12-01T09:00:00+01:00"},
    }


@pytest.mark.django_db
def test_a_repeat_returns_the_first_answer_and_creates_nothing(
    api: Api, channels: dict[str, Any]
) -> None:
    first = api.post("/api/v1/posts", _body(channels), idempotency_key="k-1")
    assert first.status_code == 201
    counts = row_counts()
    again = api.post("/api/v1/posts", _body(channels), idempotency_key="k-1")
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert row_counts() == counts
    assert Post.objects.count() == 1


@pytest.mark.django_db
def test_the_same_json_spelled_differently_is_the_same_request(
    api: Api, channels: dict[str, Any]
) -> None:
    body = _body(channels)
    first = api.post("/api/v1/posts", body, idempotency_key="k-2")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = api.post("/api/v1/posts", raw=reordered, idempotency_key="k-2")
    assert again.content == first.content
    assert Post.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(api: Api, channels: dict[str, Any]) -> None:
    api.post("/api/v1/posts", _body(channels), idempotency_key="k-3")
    counts = row_counts()
    response = api.post("/api/v1/posts", _body(channels, "Something else."), idempotency_key="k-3")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert "already used for a different request" in body["detail"]
    assert row_counts() == counts


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_refused(api: Api, channels: dict[str, Any]) -> None:
    post = api.post("/api/v1/posts", _body(channels), idempotency_key="k-4").json()
    response = api.post(f"/api/v1/posts/{post['id']}/cancel", idempotency_key="k-4")
    assert response.status_code == 422
    assert api.get(f"/api/v1/posts/{post['id']}").json()["targets"][0]["state"] == "scheduled"


@pytest.mark.django_db
def test_a_refusal_is_remembered_too(api: Api, channels: dict[str, Any]) -> None:
    body = _body(channels, "a" * 300)
    first = api.post("/api/v1/posts", body, idempotency_key="k-5")
    assert first.status_code == 422
    again = api.post("/api/v1/posts", body, idempotency_key="k-5")
    assert (again.status_code, again.content) == (422, first.content)
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_keys_belong_to_their_api_key(api: Api, api_as: Any, channels: dict[str, Any]) -> None:
    other = api_as(Role.EDITOR)
    assert api.post("/api/v1/posts", _body(channels), idempotency_key="shared").status_code == 201
    assert other.post("/api/v1/posts", _body(channels), idempotency_key="shared").status_code == 201
    assert Post.objects.count() == 2


@pytest.mark.django_db
def test_without_a_key_every_post_creates(api: Api, channels: dict[str, Any]) -> None:
    api.post("/api/v1/posts", _body(channels))
    api.post("/api/v1/posts", _body(channels))
    assert Post.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_cancel_and_campaign_create_are_idempotent(api: Api, channels: dict[str, Any]) -> None:
    campaign = {"name": "C", "starts_at": "2027-10-01T09:00:00+02:00"}
    first = api.post("/api/v1/campaigns", campaign, idempotency_key="c-1")
    again = api.post("/api/v1/campaigns", campaign, idempotency_key="c-1")
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert len(api.get("/api/v1/campaigns").json()) == 1

    post = api.post("/api/v1/posts", _body(channels)).json()
    one = api.post(f"/api/v1/posts/{post['id']}/cancel", idempotency_key="x-1")
    two = api.post(f"/api/v1/posts/{post['id']}/cancel", idempotency_key="x-1")
    assert one.content == two.content


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_bad_keys_are_refused(api: Api, channels: dict[str, Any], key: str) -> None:
    response = api.post("/api/v1/posts", _body(channels), idempotency_key=key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_an_unauthenticated_repeat_stays_401(channels: dict[str, Any]) -> None:
    response = Api("cc_nope_nope").post("/api/v1/posts", _body(channels), idempotency_key="k")
    assert response.status_code == 401
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_create_once(api: Api, channels: dict[str, Any]) -> None:
    """Several threads (each its own database connection) send the same key at once."""
    body, results, barrier = _body(channels), [], threading.Barrier(4)

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            response = Api(api.key).post("/api/v1/posts", body, idempotency_key="race")
            results.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4
    assert {status for status, _ in results} == {201}
    assert len({content for _, content in results}) == 1
    assert Post.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1
