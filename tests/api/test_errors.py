"""One error shape everywhere, including ninja's own request validation: field + sentence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, row_counts

pytestmark = pytest.mark.django_db


def _errors(response: Any) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"].endswith(".")
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"text": "hi"}, "targets", "required"),
        ({"text": "hi", "targets": "x"}, "targets", "list"),
        (
            {"text": "hi", "targets": [{"channel_id": "abc"}]},
            "targets[0].channel_id",
            "whole number",
        ),
        ({"text": "hi", "targets": [{}]}, "targets[0].channel_id", "required"),
        ({"text": "hi", "targets": [], "shedule": {}}, "shedule", "spelling"),
        (
            {"text": "hi", "targets": [], "schedule": {"at": "2027-12-01T09:00"}},
            "schedule.at",
            "offset",
        ),
        ({"text": "hi", "targets": [], "schedule": {"at": "soon"}}, "schedule.at", "date and time"),
        ({"text": "hi", "targets": [], "schedule": {}}, "schedule", "exactly one"),
        (
            {
                "text": "hi",
                "targets": [],
                "schedule": {"at": "2027-12-01T09:00:00Z", "local": "2027-12-01T09:00"},
            },
            "schedule",
            "exactly one",
        ),
        (
            {"text": "hi", "targets": [], "schedule": {"local": "2027-12-01T09:00"}},
            "schedule",
            "tz",
        ),
        (
            {
                "text": "hi",
                "targets": [],
                "schedule": {"local": "2027-12-01T09:00:30", "tz": "Europe/Berlin"},
            },
            "schedule",
            "to the minute",
        ),
        (
            {
                "text": "hi",
                "targets": [],
                "schedule": {"cue": {"campaign_id": 1, "event": "middle"}},
            },
            "schedule.cue.event",
            "'start' or 'end'",
        ),
        (
            {
                "text": "hi",
                "targets": [],
                "schedule": {"cue": {"campaign_id": 1, "event": "end", "offset": "2 days"}},
            },
            "schedule.cue.offset",
            "ISO 8601 duration",
        ),
        (
            {
                "text": "hi",
                "targets": [],
                "schedule": {"cue": {"campaign_id": 1, "event": "end", "time": "9am"}},
            },
            "schedule.cue.time",
            "time of day",
        ),
    ],
)
def test_schema_errors_become_field_and_sentence(
    api: Api, body: dict[str, Any], field: str, fragment: str
) -> None:
    before = row_counts()
    response = api.post("/api/v1/posts", body)
    assert response.status_code == 422, response.content
    errors = _errors(response)
    assert field in errors, errors
    assert fragment in errors[field]
    assert row_counts() == before


def test_invalid_json_gets_the_same_shape(api: Api) -> None:
    response = api.post("/api/v1/posts", raw="{not json")
    assert response.status_code == 400
    assert _errors(response) == {"body": "Not valid JSON."}
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_missing_body(api: Api) -> None:
    response = api.post("/api/v1/campaigns")
    assert response.status_code in {400, 422}
    assert "body" in _errors(response)


def test_service_errors_in_one_go(api: Api, channels: dict[str, Any]) -> None:
    response = api.post(
        "/api/v1/posts",
        {
            "text": "",
            "targets": [{"channel_id": 987654}, {"channel_id": channels["x"].pk}],
            "schedule": {"cue": {"campaign_id": 55555, "event": "end"}},
        },
    )
    assert response.status_code == 422
    errors = _errors(response)
    assert errors["targets[0].channel_id"] == "There is no channel 987654 in this workspace."
    assert "empty" in errors["targets[1].text"]
    assert errors["schedule"] == "There is no campaign 55555 in this workspace."
    assert response.json()["detail"].startswith("3 problems")


def test_unknown_path_param_type(api: Api) -> None:
    response = api.get("/api/v1/posts/abc")
    assert response.status_code in {404, 422}
