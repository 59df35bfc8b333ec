"""LinkedIn emulator over real HTTP: OAuth, versioned headers, Posts API, little text, Images API,
statistics, daily limits and every fault kind."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sandbox_test_helpers import query_of

from sandbox.testing import RunningSandbox

CALLBACK = "http://127.0.0.1:9/linkedin-callback"
ORG = "urn:li:organization:104857601"
OTHER_ORG = "urn:li:organization:104857603"
DEMO = "urn:li:person:Cu3cDemo01"
VERSION = "202601"
SCOPE = "openid profile w_member_social w_organization_social r_organization_social rw_organization_admin"
PNG = b"\x89PNG\r\n\x1a\nsandbox-image"


def headers(token: str, version: str | None = VERSION, restli: bool = True) -> dict[str, str]:
    result = {"Authorization": f"Bearer {token}"}
    if version is not None:
        result["LinkedIn-Version"] = version
    if restli:
        result["X-Restli-Protocol-Version"] = "2.0.0"
    return result


def token(sb: RunningSandbox, user: str = "demo", **extra: Any) -> str:
    return str(sb.control.tokens("linkedin", user, **extra)["access_token"])


def post_body(text: str, author: str = ORG, **extra: Any) -> dict[str, Any]:
    return {
        "author": author,
        "commentary": text,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        **extra,
    }


def create(
    sb: RunningSandbox, http: httpx.Client, tok: str, text: str, timeout: float = 10, **extra: Any
) -> httpx.Response:
    return http.post(
        f"{sb.url}/linkedin/rest/posts",
        json=post_body(text, **extra),
        headers=headers(tok),
        timeout=timeout,
    )


def authorize(
    sb: RunningSandbox, http: httpx.Client, client_id: str, decision: str = "authorize"
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "st4te",
        "scope": SCOPE,
    }
    page = http.get(f"{sb.url}/linkedin/oauth/v2/authorization", params=params)
    assert page.status_code == 200 and "Dana Demo" in page.text and "Cancel" in page.text
    answer = http.post(
        f"{sb.url}/linkedin/oauth/v2/authorization",
        data={**params, "user": "demo", "decision": decision},
    )
    assert answer.status_code == 302
    return query_of(answer.headers["location"])


def exchange(
    sb: RunningSandbox, http: httpx.Client, client_id: str, secret: str, **form: str
) -> httpx.Response:
    return http.post(
        f"{sb.url}/linkedin/oauth/v2/accessToken",
        data={"client_id": client_id, "client_secret": secret, **form},
    )


# --- OAuth -------------------------------------------------------------------------------------


def test_partner_flow_gets_refresh_token_with_fixed_window(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    query = authorize(sb, http, "cuecast-sandbox")
    assert query["state"] == "st4te"
    got = exchange(
        sb,
        http,
        "cuecast-sandbox",
        "cuecast-sandbox-secret",
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=CALLBACK,
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["expires_in"] == 5184000
    assert body["refresh_token_expires_in"] == 365 * 86400
    assert set(body["scope"].split(",")) == set(SCOPE.split())
    me = http.get(f"{sb.url}/linkedin/v2/userinfo", headers=headers(body["access_token"], None))
    assert me.status_code == 200 and me.json()["sub"] == "Cu3cDemo01"
    # the code is single use
    again = exchange(
        sb,
        http,
        "cuecast-sandbox",
        "cuecast-sandbox-secret",
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=CALLBACK,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_request"
    # 100 days later: a refresh gives a new 60-day token, the refresh window is NOT extended
    with sb.state.lock:
        real_clock = sb.state.clock
        sb.state.clock = lambda: real_clock() + 100 * 86400
    try:
        fresh = exchange(
            sb,
            http,
            "cuecast-sandbox",
            "cuecast-sandbox-secret",
            grant_type="refresh_token",
            refresh_token=body["refresh_token"],
        )
    finally:
        with sb.state.lock:
            sb.state.clock = real_clock
    assert fresh.status_code == 200, fresh.text
    renewed = fresh.json()
    assert renewed["expires_in"] == 5184000
    assert renewed["refresh_token"] == body["refresh_token"]
    assert abs(renewed["refresh_token_expires_in"] - 265 * 86400) <= 2
    assert renewed["access_token"] != body["access_token"]


def test_basic_client_gets_no_refresh_token(sb: RunningSandbox, http: httpx.Client) -> None:
    query = authorize(sb, http, "cuecast-sandbox-basic")
    got = exchange(
        sb,
        http,
        "cuecast-sandbox-basic",
        "cuecast-sandbox-basic-secret",
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=CALLBACK,
    )
    assert got.status_code == 200
    assert "refresh_token" not in got.json() and got.json()["expires_in"] == 5184000
    minted = sb.control.tokens("linkedin", "demo", client_id="cuecast-sandbox-basic")
    assert "refresh_token" not in minted


def test_cancel_and_bad_client(sb: RunningSandbox, http: httpx.Client) -> None:
    query = authorize(sb, http, "cuecast-sandbox", decision="cancel")
    assert query["error"] == "user_cancelled_authorize" and query["state"] == "st4te"
    wrong = exchange(sb, http, "cuecast-sandbox", "nope", grant_type="authorization_code", code="x")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    bad_scope = http.get(
        f"{sb.url}/linkedin/oauth/v2/authorization",
        params={
            "response_type": "code",
            "client_id": "cuecast-sandbox",
            "redirect_uri": CALLBACK,
            "scope": "r_liteprofile_nope",
            "state": "s",
        },
    )
    assert query_of(bad_scope.headers["location"])["error"] == "unauthorized_scope_error"


def test_minted_tokens_and_organizations(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("linkedin", "demo")
    assert minted["member_urn"] == DEMO and ORG in minted["organizations"]
    assert minted["refresh_token"] and minted["expires_in"] == 5184000
    tok = minted["access_token"]
    acls = http.get(
        f"{sb.url}/linkedin/rest/organizationAcls",
        params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
        headers=headers(tok),
    )
    assert acls.status_code == 200
    orgs = [e["organization"] for e in acls.json()["elements"]]
    assert orgs == [ORG, "urn:li:organization:104857602"]
    assert acls.json()["elements"][0]["roleAssignee"] == DEMO
    org = http.get(f"{sb.url}/linkedin/rest/organizations/104857601", headers=headers(tok))
    assert org.json()["localizedName"] == "Cuecast Demo GmbH"


# --- versioned headers -------------------------------------------------------------------------


def test_version_headers_are_required(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    url = f"{sb.url}/linkedin/rest/posts"
    missing = http.post(url, json=post_body("a"), headers=headers(tok, None))
    assert missing.status_code == 400 and missing.json()["code"] == "VERSION_MISSING"
    sunset = http.post(url, json=post_body("a"), headers=headers(tok, "202507"))
    assert sunset.status_code == 426
    assert sunset.json() == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 20250701 is not active",
    }
    assert http.post(url, json=post_body("a"), headers=headers(tok, "203001")).status_code == 426
    no_restli = http.post(url, json=post_body("a"), headers=headers(tok, restli=False))
    assert no_restli.status_code == 400
    sb.control.config("linkedin", oldest_version="202501")
    assert http.post(url, json=post_body("a"), headers=headers(tok, "202507")).status_code == 201
    assert sb.control.received("linkedin")[0]["text"] == "a"


# --- posts -------------------------------------------------------------------------------------


def test_create_returns_201_empty_body_and_urn_header(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    tok = token(sb)
    got = create(sb, http, tok, "Hello from the sandbox")
    assert got.status_code == 201 and got.content == b""
    urn = got.headers["x-restli-id"]
    assert urn.startswith("urn:li:share:")
    read = http.get(f"{sb.url}/linkedin/rest/posts/{quote(urn, safe='')}", headers=headers(tok))
    assert read.status_code == 200
    assert read.json()["commentary"] == "Hello from the sandbox"
    assert read.json()["author"] == ORG and read.json()["lifecycleState"] == "PUBLISHED"
    [received] = sb.control.received("linkedin", "demo")
    assert received["id"] == urn and received["extra"]["author"] == ORG


def test_unescaped_reserved_character_truncates(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sent = "Launch day (finally) is here"
    got = create(sb, http, tok, sent)
    assert got.status_code == 201  # LinkedIn reports success...
    urn = got.headers["x-restli-id"]
    read = http.get(f"{sb.url}/linkedin/rest/posts/{quote(urn, safe='')}", headers=headers(tok))
    assert read.json()["commentary"] == "Launch day "  # ...but keeps only this
    [received] = sb.control.received("linkedin")
    assert received["text"] == "Launch day "
    assert received["extra"]["truncated"] is True and received["extra"]["sent_commentary"] == sent


def test_escaped_text_mentions_and_hashtags_are_kept(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    tok = token(sb)
    text = (
        r"Launch day \(finally\) \- 50\% off\! a\_b \*bold\* \~ \| \\ "
        "#launch {hashtag|#|Sandbox} thanks @[Cuecast Demo GmbH](urn:li:organization:104857601)"
    )
    got = create(sb, http, tok, text)
    assert got.status_code == 201
    [received] = sb.control.received("linkedin")
    # "\-", "\%" and "\!" are not escapes of reserved characters: the backslash before "-" cuts
    assert received["extra"]["truncated"] is True
    whole = (
        r"Launch day \(finally\) costs 5 \| 6 \[sic\] \<b\> a\_b \*x\* \~ \\ #tag {hashtag|#|Go}"
    )
    got = create(sb, http, tok, whole + " @[Cuecast Labs](urn:li:organization:104857602)")
    assert got.status_code == 201
    stored = sb.control.received("linkedin")[-1]
    assert stored["extra"]["truncated"] is False
    assert stored["text"] == whole + " @[Cuecast Labs](urn:li:organization:104857602)"
    assert stored["extra"]["rendered"].startswith("Launch day (finally) costs 5 | 6 [sic] <b> a_b")
    assert stored["extra"]["rendered"].endswith("#tag #Go Cuecast Labs")


def test_commentary_limit(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    assert create(sb, http, tok, "x" * 3000).status_code == 201
    too_long = create(sb, http, tok, "y" * 3001)
    assert too_long.status_code == 422
    assert too_long.json()["errorDetails"]["inputErrors"][0]["code"] == "MAX_LENGTH_EXCEEDED"


def test_duplicate_names_existing_urn(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    first = create(sb, http, tok, "Same words twice").headers["x-restli-id"]
    again = create(sb, http, tok, "Same words twice")
    assert again.status_code == 422
    body = again.json()
    assert body["status"] == 422
    assert body["message"].endswith(f"Content is a duplicate of {first}")
    assert body["errorDetails"]["inputErrors"][0]["code"] == "DUPLICATE_POST"
    # other authors may say the same
    member = create(sb, http, tok, "Same words twice", author=DEMO)
    assert member.status_code == 201
    assert len(sb.control.received("linkedin")) == 2


def test_delete_and_finder(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    urns = [create(sb, http, tok, f"post {i}").headers["x-restli-id"] for i in range(3)]
    found = http.get(
        f"{sb.url}/linkedin/rest/posts",
        params={"author": ORG, "q": "author", "count": "10"},
        headers=headers(tok),
    )
    assert found.status_code == 200
    assert [e["id"] for e in found.json()["elements"]] == list(reversed(urns))
    assert found.json()["paging"]["total"] == 3
    gone = http.delete(
        f"{sb.url}/linkedin/rest/posts/{quote(urns[1], safe='')}", headers=headers(tok)
    )
    assert gone.status_code == 204 and gone.content == b""
    read = http.get(f"{sb.url}/linkedin/rest/posts/{quote(urns[1], safe='')}", headers=headers(tok))
    assert read.status_code == 404
    found = http.get(
        f"{sb.url}/linkedin/rest/posts",
        params={"author": ORG, "q": "author"},
        headers=headers(tok),
    )
    assert [e["id"] for e in found.json()["elements"]] == [urns[2], urns[0]]
    # a deleted post still counts for duplicate detection: the 422 names the gone URN
    ghost = create(sb, http, tok, "post 1")
    assert ghost.status_code == 422 and urns[1] in ghost.json()["message"]


def test_permissions(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    not_admin = create(sb, http, tok, "hi", author=OTHER_ORG)
    assert not_admin.status_code == 403
    assert not_admin.json()["code"] == "ACCESS_DENIED"
    assert not_admin.json()["serviceErrorCode"] == 100
    member_only = token(sb, scope="openid profile w_member_social")
    assert create(sb, http, member_only, "hi").status_code == 403
    assert create(sb, http, member_only, "hi", author=DEMO).status_code == 201
    read_only = token(sb, scope="r_organization_social")
    denied = create(sb, http, read_only, "hi")
    assert denied.status_code == 403 and denied.json()["code"] == "ACCESS_DENIED"
    assert denied.json()["message"] == (
        "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260101"
    )


def test_auth_errors(sb: RunningSandbox, http: httpx.Client) -> None:
    url = f"{sb.url}/linkedin/rest/organizations/104857601"
    nothing = http.get(
        url, headers={"LinkedIn-Version": VERSION, "X-Restli-Protocol-Version": "2.0.0"}
    )
    assert nothing.status_code == 401
    unknown = http.get(url, headers=headers("not-a-token"))
    assert unknown.json() == {
        "status": 401,
        "serviceErrorCode": 65600,
        "code": "INVALID_ACCESS_TOKEN",
        "message": "Invalid access token",
    }
    expired = token(sb, expires_in=0)
    got = http.get(url, headers=headers(expired))
    assert got.status_code == 401 and got.json()["code"] == "EXPIRED_ACCESS_TOKEN"


# --- images ------------------------------------------------------------------------------------


def test_image_upload_flow(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("linkedin", image_processing_seconds=0.4)
    tok = token(sb)
    init = http.post(
        f"{sb.url}/linkedin/rest/images",
        params={"action": "initializeUpload"},
        json={"initializeUploadRequest": {"owner": ORG}},
        headers=headers(tok),
    )
    assert init.status_code == 200, init.text
    value = init.json()["value"]
    image = value["image"]
    assert image.startswith("urn:li:image:") and value["uploadUrlExpiresAt"] > 0
    status_url = f"{sb.url}/linkedin/rest/images/{quote(image, safe='')}"
    assert http.get(status_url, headers=headers(tok)).json()["status"] == "WAITING_UPLOAD"
    content = {"media": {"id": image, "altText": "a test image"}}
    early = create(sb, http, tok, "With picture", content=content)
    assert early.status_code == 422
    put = http.put(value["uploadUrl"], content=PNG, headers={"Authorization": f"Bearer {tok}"})
    assert put.status_code == 201
    assert http.get(status_url, headers=headers(tok)).json()["status"] == "PROCESSING"
    assert create(sb, http, tok, "With picture", content=content).status_code == 422
    time.sleep(0.5)
    ready = http.get(status_url, headers=headers(tok)).json()
    assert ready["status"] == "AVAILABLE" and ready["owner"] == ORG
    assert http.get(ready["downloadUrl"]).content == PNG
    got = create(sb, http, tok, "With picture", content=content)
    assert got.status_code == 201 and got.headers["x-restli-id"].startswith("urn:li:ugcPost:")
    assert sb.control.received("linkedin")[-1]["media_ids"] == [image]


# --- metrics -----------------------------------------------------------------------------------


def test_share_statistics(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    a = create(sb, http, tok, "stats a").headers["x-restli-id"]
    b = create(sb, http, tok, "stats b").headers["x-restli-id"]
    sb.control.metrics(
        "linkedin", a, {"impressionCount": 200, "clickCount": 10, "likeCount": 8, "commentCount": 2}
    )
    sb.control.metrics("linkedin", b, {"impressionCount": 50, "shareCount": 1})
    url = (
        f"{sb.url}/linkedin/rest/organizationalEntityShareStatistics?q=organizationalEntity"
        f"&organizationalEntity={quote(ORG, safe='')}"
        f"&shares=List({quote(a, safe='')},{quote(b, safe='')})"
    )
    got = http.get(url, headers=headers(tok))
    assert got.status_code == 200, got.text
    elements = {e["share"]: e["totalShareStatistics"] for e in got.json()["elements"]}
    assert elements[a]["impressionCount"] == 200 and elements[a]["likeCount"] == 8
    assert elements[a]["engagement"] == pytest.approx(0.1)
    assert elements[b]["shareCount"] == 1
    lifetime = http.get(
        f"{sb.url}/linkedin/rest/organizationalEntityShareStatistics",
        params={"q": "organizationalEntity", "organizationalEntity": ORG},
        headers=headers(tok),
    ).json()["elements"]
    assert lifetime[0]["totalShareStatistics"]["impressionCount"] == 250
    actions = http.get(
        f"{sb.url}/linkedin/rest/socialActions/{quote(a, safe='')}", headers=headers(tok)
    )
    assert actions.json()["likesSummary"]["totalLikes"] == 8


# --- rate limits -------------------------------------------------------------------------------


def test_daily_member_and_app_limits_without_headers(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    # Every request at one instant until the reset below: the daily counters reset at 00:00
    # UTC, and a midnight between two requests would start a fresh day for the later ones.
    with sb.state.lock:
        real_clock = sb.state.clock
        moment = real_clock()
        sb.state.clock = lambda: moment
    try:
        _daily_member_and_app_limits(sb, http, moment)
    finally:
        with sb.state.lock:
            sb.state.clock = real_clock


def _daily_member_and_app_limits(sb: RunningSandbox, http: httpx.Client, moment: float) -> None:
    sb.control.config("linkedin", member_daily_limits={"POST /rest/posts": 2})
    tok = token(sb)
    assert create(sb, http, tok, "one").status_code == 201
    assert create(sb, http, tok, "two").status_code == 201
    over = create(sb, http, tok, "three")
    assert over.status_code == 429
    assert over.json()["status"] == 429
    assert not [h for h in over.headers if "rate" in h.lower() or h.lower() == "retry-after"]
    # another member of the same app has their own count...
    other = token(sb, "other")
    assert create(sb, http, other, "mine", author="urn:li:person:Cu3cOther2").status_code == 201
    # ...until the app's own daily cap is hit
    sb.control.config("linkedin", app_daily_limits={"GET /rest/organizations/{id}": 1})
    org_url = f"{sb.url}/linkedin/rest/organizations/104857601"
    assert http.get(org_url, headers=headers(tok)).status_code == 200
    assert http.get(org_url, headers=headers(other)).status_code == 429
    # counters reset at 00:00 UTC
    midnight = (moment // 86400 + 1) * 86400
    with sb.state.lock:
        sb.state.clock = lambda: midnight + 1
    assert create(sb, http, tok, "three").status_code == 201
    assert http.get(org_url, headers=headers(other)).status_code == 200


# --- faults ------------------------------------------------------------------------------------


def test_fault_error_5xx(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.fault("linkedin", "error_5xx", endpoint="POST /rest/posts", status=503)
    got = create(sb, http, tok, "a")
    assert got.status_code == 503 and got.json()["message"] == "Service Unavailable"
    assert sb.control.received("linkedin") == []
    assert create(sb, http, tok, "a").status_code == 201


def test_fault_timeout_after_accept(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.fault("linkedin", "timeout_after_accept", endpoint="POST /rest/posts", seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        create(sb, http, tok, "maybe sent", timeout=0.3)
    [received] = sb.control.received("linkedin", "demo")
    assert received["text"] == "maybe sent"
    retry = create(sb, http, tok, "maybe sent")
    assert retry.status_code == 422 and received["id"] in retry.json()["message"]


def test_fault_rate_limit_burst(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.fault("linkedin", "rate_limit_burst", endpoint="POST /rest/posts")
    got = create(sb, http, tok, "a")
    assert got.status_code == 429
    assert got.json()["message"] == (
        "Resource level throttle limit for calls to this resource is reached."
    )
    assert "retry-after" not in got.headers
    # the member's daily count for this endpoint is used up until 00:00 UTC
    assert create(sb, http, tok, "a").status_code == 429


def test_fault_expire_token_then_refresh(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("linkedin", "demo")
    sb.control.fault("linkedin", "expire_token", user="demo")
    got = create(sb, http, minted["access_token"], "a")
    assert got.status_code == 401 and got.json()["code"] == "EXPIRED_ACCESS_TOKEN"
    fresh = exchange(
        sb,
        http,
        "cuecast-sandbox",
        "cuecast-sandbox-secret",
        grant_type="refresh_token",
        refresh_token=minted["refresh_token"],
    )
    assert fresh.status_code == 200
    assert create(sb, http, fresh.json()["access_token"], "a").status_code == 201


def test_fault_revoke_token(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("linkedin", "demo")
    sb.control.fault("linkedin", "revoke_token")
    got = create(sb, http, minted["access_token"], "a")
    assert got.status_code == 401
    assert got.json() == {
        "status": 401,
        "serviceErrorCode": 65601,
        "code": "REVOKED_ACCESS_TOKEN",
        "message": "The token used in the request has been revoked by the user",
    }
    refresh = exchange(
        sb,
        http,
        "cuecast-sandbox",
        "cuecast-sandbox-secret",
        grant_type="refresh_token",
        refresh_token=minted["refresh_token"],
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_fault_slow(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.fault("linkedin", "slow", endpoint="GET /rest/organizations/{id}", seconds=0.3)
    started = time.monotonic()
    got = http.get(f"{sb.url}/linkedin/rest/organizations/104857601", headers=headers(tok))
    assert got.status_code == 200 and time.monotonic() - started >= 0.3


def test_tier_fault_is_refused(sb: RunningSandbox, http: httpx.Client) -> None:
    refused = http.post(
        f"{sb.url}/_sandbox/faults",
        json={"network": "linkedin", "kind": "tier", "tier": "unenrolled"},
    )
    assert refused.status_code == 400


def test_request_log_redacts_and_describe(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    create(sb, http, tok, "logged")
    [record] = [r for r in sb.control.requests("linkedin") if r["method"] == "POST"]
    assert record["headers"]["authorization"] == "Bearer [redacted]"
    assert record["user"] == "demo" and record["status"] == 201
    index = http.get(f"{sb.url}/_sandbox/").json()["networks"]["linkedin"]
    assert index["base_url"].endswith("/linkedin")
    assert {c["client_id"] for c in index["clients"]} == {
        "cuecast-sandbox",
        "cuecast-sandbox-basic",
    }
