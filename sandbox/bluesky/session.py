"""``com.atproto.server.*`` sessions and ``com.atproto.identity.resolveHandle``.

createSession (identifier = handle, DID or email; password = account password or app password)
answers ``{accessJwt, refreshJwt, handle, did, didDoc, email, emailConfirmed, active}``. Access JWTs
live 2 h, refresh JWTs 90 days. refreshSession takes the REFRESH JWT as Bearer token and rotates it.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.bluesky import limits
from sandbox.bluesky.ids import refresh_token_id, sign_jwt
from sandbox.bluesky.state import SERVICE_DID, Account, BlueskyState
from sandbox.bluesky.xrpc import XrpcError, error, json_body, param, require_str
from sandbox.common.network import Call
from sandbox.common.tokens import Token

SCOPE_ACCESS = "com.atproto.access"
SCOPE_APP_PASS = "com.atproto.appPass"
SCOPE_REFRESH = "com.atproto.refresh"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"


def bs_of(call: Call) -> BlueskyState:
    return call.sandbox.net("bluesky", BlueskyState)


def pds_url(call: Call) -> str:
    return str(call.request.base_url).rstrip("/") + "/bluesky"


def client_ip(call: Call) -> str:
    return call.request.client.host if call.request.client else "?"


def did_doc(account: Account, pds: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
            "https://w3id.org/security/suites/secp256k1-2019/v1",
        ],
        "id": account.did,
        "alsoKnownAs": [f"at://{account.handle}"],
        "verificationMethod": [
            {
                "id": f"{account.did}#atproto",
                "type": "Multikey",
                "controller": account.did,
                "publicKeyMultibase": "zQ3shSandboxKeyNotARealKey" + account.did[-8:],
            }
        ],
        "service": [
            {
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": pds,
            }
        ],
    }


def issue_session(
    bs: BlueskyState,
    account: Account,
    scope: str,
    now: float,
    *,
    jti: str | None = None,
    client: str = "app-password",
    access_lifetime: float | None = None,
    refresh_lifetime: float | None = None,
) -> tuple[Token, Token]:
    """Sign and store an access + refresh JWT pair for ``account``."""
    cfg = bs.config
    access_life = cfg.access_jwt_lifetime if access_lifetime is None else access_lifetime
    refresh_life = cfg.refresh_jwt_lifetime if refresh_lifetime is None else refresh_lifetime
    jti = jti or refresh_token_id()
    iat = int(now)
    access_value = sign_jwt(
        {"typ": "at+jwt", "alg": "HS256"},
        {
            "scope": scope,
            "sub": account.did,
            "aud": SERVICE_DID,
            "iat": iat,
            "exp": int(now + access_life),
        },
        bs.jwt_secret,
    )
    refresh_value = sign_jwt(
        {"typ": "refresh+jwt", "alg": "HS256"},
        {
            "scope": SCOPE_REFRESH,
            "sub": account.did,
            "aud": SERVICE_DID,
            "jti": jti,
            "iat": iat,
            "exp": int(now + refresh_life),
            # a nonce keeps two pairs minted in the same second (same jti) distinct
            "nonce": secrets.token_hex(4),
        },
        bs.jwt_secret,
    )
    access = Token(
        value=access_value,
        kind="access",
        client_id=client,
        user_id=account.did,
        scopes=(scope,),
        created_at=now,
        expires_at=now + access_life,
        family=jti,
    )
    refresh = Token(
        value=refresh_value,
        kind="refresh",
        client_id=client,
        user_id=account.did,
        scopes=(SCOPE_REFRESH, scope),  # the second entry: the scope its access tokens get
        created_at=now,
        expires_at=now + refresh_life,
        family=jti,
    )
    bs.tokens.tokens[access.value] = access
    bs.tokens.tokens[refresh.value] = refresh
    bs.token_jti[refresh.value] = jti
    return access, refresh


def session_json(
    account: Account, access: Token | None, refresh: Token | None, pds: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if access is not None and refresh is not None:
        body["accessJwt"] = access.value
        body["refreshJwt"] = refresh.value
    body.update({"handle": account.handle, "did": account.did})
    if pds is not None:
        body["didDoc"] = did_doc(account, pds)
    body.update({"email": account.email, "emailConfirmed": True, "active": True})
    return body


def _session_limits(call: Call, bs: BlueskyState, identifier: str) -> bool:
    """createSession's own buckets (per identifier + IP); True when over."""
    cfg = bs.config
    now = call.now
    key = f"{identifier}-{client_ip(call)}"
    buckets = (
        (("session-5min", key), cfg.session_limit_5min, 300),
        (("session-day", key), cfg.session_limit_day, 86400),
    )
    burst = call.fault is not None and call.fault.kind == "rate_limit_burst"
    statuses = []
    for bucket, limit, window in buckets:
        if burst:
            bs.limiter.exhaust(bucket, limit, window, now)
        statuses.append(bs.limiter.consume(bucket, 1, limit, window, now))
    global_left = int(call.headers.get("ratelimit-remaining", "1000000000"))
    status = limits.tightest(statuses)
    if status is not None and (status.exceeded or status.remaining < global_left):
        call.headers.update(limits.headers(status))
    return any(s.exceeded for s in statuses)


async def create_session(call: Call) -> Response:
    try:
        body = await json_body(call.request)
        identifier = require_str(body, "identifier")
        password = require_str(body, "password")
    except XrpcError as exc:
        return exc.response()
    with call.sandbox.lock:
        bs = bs_of(call)
        if _session_limits(call, bs, identifier):
            return error(429)
        account = bs.account(identifier)
        scope = None
        client = "password"
        if account is not None:
            if secrets.compare_digest(account.password.encode(), password.encode()):
                scope = SCOPE_ACCESS
            for name, app_password in account.app_passwords.items():
                if secrets.compare_digest(app_password.encode(), password.encode()):
                    scope, client = SCOPE_APP_PASS, f"app-password:{name}"
        if account is None or scope is None:
            return error(401, "Invalid identifier or password")
        access, refresh = issue_session(bs, account, scope, call.now, client=client)
        return JSONResponse(session_json(account, access, refresh, pds_url(call)))


async def refresh_session(call: Call) -> Response:
    assert call.principal is not None and call.principal.user_id is not None
    with call.sandbox.lock:
        bs = bs_of(call)
        old = call.principal.token
        account = bs.accounts.get(old.user_id or "")
        if account is None:
            return error(400, f"Could not find user info for account: {old.user_id}")
        now = call.now
        grace = bs.config.refresh_grace_seconds
        if grace <= 0:
            old.revoked = True
            jti = None
        else:
            jti = bs.rotated.get(old.value)
            if jti is None:
                jti = bs.rotated[old.value] = refresh_token_id()
                old.expires_at = min(old.expires_at or now + grace, now + grace)
        scope = old.scopes[1] if len(old.scopes) > 1 else SCOPE_APP_PASS
        access, refresh = issue_session(bs, account, scope, now, jti=jti, client=old.client_id)
        return JSONResponse(session_json(account, access, refresh, pds_url(call)))


async def get_session(call: Call) -> Response:
    assert call.principal is not None and call.principal.user_id is not None
    with call.sandbox.lock:
        account = bs_of(call).accounts[call.principal.user_id]
        return JSONResponse(session_json(account, None, None, pds_url(call)))


async def delete_session(call: Call) -> Response:
    assert call.principal is not None
    with call.sandbox.lock:
        call.principal.token.revoked = True
    return Response(status_code=200)


async def describe_server(call: Call) -> Response:
    return JSONResponse(
        {
            "did": SERVICE_DID,
            "availableUserDomains": [".bsky.sandbox"],
            "inviteCodeRequired": True,
            "phoneVerificationRequired": False,
            "links": {},
            "contact": {},
        }
    )


async def resolve_handle(call: Call) -> Response:
    try:
        handle = param(call.request, "handle") or ""
    except XrpcError as exc:
        return exc.response()
    with call.sandbox.lock:
        account = bs_of(call).account(handle)
        if account is None or handle.startswith("did:") or "@" in handle:
            return error(400, "Unable to resolve handle")
        return JSONResponse({"did": account.did})
