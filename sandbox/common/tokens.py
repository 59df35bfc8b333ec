"""OAuth token and authorization-code store, shared by every network emulator."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Literal

TokenKind = Literal["access", "refresh"]


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


@dataclass
class Token:
    value: str
    kind: TokenKind
    client_id: str
    user_id: str | None  # None for app-only (client credentials) tokens
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float | None = None
    revoked: bool = False
    family: str = ""  # tokens minted by one grant share a family (refresh rotation)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def usable(self, now: float) -> bool:
        return not self.revoked and not self.expired(now)


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    user_id: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    used: bool = False


@dataclass
class TokenStore:
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)

    def issue(
        self,
        kind: TokenKind,
        client_id: str,
        user_id: str | None,
        scopes: tuple[str, ...],
        now: float,
        lifetime: float | None,
        family: str | None = None,
    ) -> Token:
        token = Token(
            value=random_token(),
            kind=kind,
            client_id=client_id,
            user_id=user_id,
            scopes=scopes,
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            family=family or random_token(8),
        )
        self.tokens[token.value] = token
        return token

    def get(self, value: str | None, kind: TokenKind = "access") -> Token | None:
        if not value:
            return None
        token = self.tokens.get(value)
        if token is None or token.kind != kind:
            return None
        return token

    def user_tokens(self, user_id: str) -> list[Token]:
        return [t for t in self.tokens.values() if t.user_id == user_id]

    def expire_user(self, user_id: str, now: float) -> int:
        """Expire the user's access tokens (a refresh still works)."""
        hit = [t for t in self.user_tokens(user_id) if t.kind == "access"]
        for token in hit:
            token.expires_at = min(token.expires_at or now, now) - 1
        return len(hit)

    def revoke_user(self, user_id: str) -> int:
        """Revoke every token of the user, refresh tokens included."""
        hit = self.user_tokens(user_id)
        for token in hit:
            token.revoked = True
        return len(hit)

    def new_code(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: tuple[str, ...],
        user_id: str,
        challenge: str | None,
        method: str | None,
        now: float,
        lifetime: float = 600,
    ) -> AuthCode:
        code = AuthCode(
            code=random_token(24),
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            user_id=user_id,
            code_challenge=challenge,
            code_challenge_method=method,
            expires_at=now + lifetime,
        )
        self.codes[code.code] = code
        return code


def pkce_matches(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    """RFC 7636 check: S256 is BASE64URL(SHA256(verifier)) without padding; plain is equality."""
    if challenge is None:
        return True
    if not verifier:
        return False
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return secrets.compare_digest(computed, challenge)
    if (method or "plain") == "plain":
        return secrets.compare_digest(verifier, challenge)
    return False


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
