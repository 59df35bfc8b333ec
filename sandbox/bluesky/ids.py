"""AT Protocol identifiers the PDS hands out: TIDs, CIDs, and the session JWTs.

- TID (atproto.com/specs/tid): 64-bit integer, top bit 0, 53 bits of microseconds since the UNIX
  epoch, 10 bits of clock id; written as 13 characters of base32-sortable.
- CID: CIDv1, sha-256 multihash, base32 lower-case with the ``b`` multibase prefix. Blobs use the
  ``raw`` codec (``bafkrei…``), exactly as a PDS computes them; records use the ``dag-cbor`` codec
  label (``bafyrei…``) but hash our canonical JSON, not DAG-CBOR bytes.
- Session tokens: HS256 JWTs. Access: header ``typ: at+jwt``, claims ``scope`` (``com.atproto.appPass``
  for app passwords, ``com.atproto.access`` for the main password), ``sub`` (DID), ``aud``, ``iat``,
  ``exp``. Refresh: ``typ: refresh+jwt``, ``scope: com.atproto.refresh``, plus ``jti``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from typing import Any

S32 = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
RECORD_KEY_RE = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")

RAW_CODEC = 0x55
DAG_CBOR_CODEC = 0x71


def _s32(value: int) -> str:
    out = ""
    while value:
        out = S32[value % 32] + out
        value //= 32
    return out


class TidClock:
    """Monotonic TIDs from a clock in (float) seconds."""

    def __init__(self) -> None:
        self._last = 0
        self._clock_id = secrets.randbelow(1024)
        self._lock = threading.Lock()

    def next(self, now: float) -> str:
        with self._lock:
            micros = max(int(now * 1_000_000), self._last + 1)
            self._last = micros
        return _s32(micros).rjust(11, "2") + _s32(self._clock_id).rjust(2, "2")


def valid_tid(value: str) -> bool:
    return bool(TID_RE.match(value))


def valid_record_key(value: str) -> bool:
    return bool(RECORD_KEY_RE.match(value)) and value not in (".", "..")


def _cid(codec: int, payload: bytes) -> str:
    digest = hashlib.sha256(payload).digest()
    raw = bytes([0x01, codec, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def blob_cid(data: bytes) -> str:
    return _cid(RAW_CODEC, data)


def record_cid(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _cid(DAG_CBOR_CODEC, canonical.encode("utf-8"))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_jwt(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    head = _b64url(json.dumps(header, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{head}.{body}".encode("ascii")
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(signature)}"


def refresh_token_id() -> str:
    """A refresh token id (``jti``): 32 random bytes, base64 as the reference PDS does."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")
