"""The OpenAPI document is served and valid; the docs page works offline (no external URL)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("get", "/api/v1/channels"),
    ("get", "/api/v1/channels/{channel_id}"),
    ("patch", "/api/v1/channels/{channel_id}"),
    ("get", "/api/v1/campaigns"),
    ("post", "/api/v1/campaigns"),
    ("get", "/api/v1/campaigns/{campaign_id}"),
    ("patch", "/api/v1/campaigns/{campaign_id}"),
    ("get", "/api/v1/posts"),
    ("post", "/api/v1/posts"),
    ("get", "/api/v1/posts/{post_id}"),
    ("post", "/api/v1/posts/{post_id}/cancel"),
    ("post", "/api/v1/posts/{post_id}/approve"),
    ("get", "/api/v1/campaigns/{campaign_id}/cues"),
    ("get", "/api/v1/campaigns/{campaign_id}/timeline"),
    ("get", "/api/v1/campaigns/{campaign_id}/paid-metrics"),
    ("get", "/api/v1/ad-accounts"),
    ("get", "/api/v1/ad-accounts/{account_id}"),
    ("post", "/api/v1/ad-accounts/{account_id}/sync"),
    ("post", "/api/v1/imports/preview"),
    ("post", "/api/v1/imports"),
    ("get", "/api/v1/analytics/overview"),
    ("get", "/api/v1/analytics/campaigns/{campaign_id}"),
    ("get", "/api/v1/analytics/channels/{channel_id}"),
    ("get", "/api/v1/analytics/posts/{post_id}"),
    ("get", "/api/v1/analytics/best-time"),
    ("post", "/api/v1/posts/{post_id}/reschedule"),
    ("post", "/api/v1/posts/{post_id}/queue"),
    ("get", "/api/v1/series"),
    ("post", "/api/v1/series"),
    ("get", "/api/v1/series/{series_id}"),
    ("patch", "/api/v1/series/{series_id}"),
    ("post", "/api/v1/series/{series_id}/end"),
    ("post", "/api/v1/series/{series_id}/cancel"),
    ("post", "/api/v1/series/{series_id}/approve"),
    ("get", "/api/v1/channels/{channel_id}/slots"),
    ("put", "/api/v1/channels/{channel_id}/slots"),
    ("post", "/api/v1/posts/{post_id}/targets/{target_id}/confirm-published"),
    ("post", "/api/v1/posts/{post_id}/targets/{target_id}/publish-again"),
    ("get", "/api/v1/workspace/late-policy"),
    ("patch", "/api/v1/workspace/late-policy"),
}


def test_openapi_json_is_served_without_a_key_and_valid() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    operations = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert operations == EXPECTED
    assert spec["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_every_post_documents_idempotency_key_and_errors() -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert "401" in op["responses"], (method, path)
            if method == "post":
                names = [p["name"] for p in op["parameters"]]
                assert "Idempotency-Key" in names, path
                assert "422" in op["responses"]


def test_docs_page_has_no_external_urls() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    assert "/api/v1/openapi.json" in html
    assert "default-src 'none'" in response["Content-Security-Policy"]
    # Every script and stylesheet it names is served by us.
    links = set(re.findall(r'(?:src|href)="([^"]+)"', html))
    assets = {url for url in links if url.startswith("/api/v1/docs/assets/")}
    assert links - assets == {"/api/v1/openapi.json"}
    assert len(assets) == 4
    for url in assets:
        asset = Client().get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content)
        asset.close()
    # Readers without JavaScript get the endpoint list.
    assert "/api/v1/posts/{post_id}/cancel" in html


def test_unknown_docs_asset_is_404() -> None:
    assert Client().get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404
    assert Client().get("/api/v1/docs/assets/redoc.standalone.js.map").status_code == 404
