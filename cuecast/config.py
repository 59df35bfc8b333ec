"""Cuecast's configuration, read once from the environment.

Every setting has a safe embedded default so that `cuecast run` works on a fresh machine with
nothing set. Generated secrets (Django's signing key, the credential-encryption keys) are written
to the data directory on first start, never to the repository. docs/operations.md lists every
variable; keep the two in step.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.fernet import Fernet


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    host: str
    port: int
    public_url: str
    sandbox_enabled: bool
    sandbox_port: int
    sandbox_url: str
    secret_key: str
    encryption_keys: tuple[str, ...]
    debug: bool
    allowed_hosts: tuple[str, ...]
    x_client_id: str
    x_client_secret: str
    x_api_url: str
    x_authorize_url: str
    x_web_url: str  # where a post's permalink points: https://x.com/<handle>/status/<id>
    linkedin_client_id: str
    linkedin_client_secret: str
    linkedin_api_url: str  # https://api.linkedin.com (REST at /rest/..., OpenID at /v2/userinfo)
    linkedin_oauth_url: str  # https://www.linkedin.com/oauth/v2 (authorization, accessToken)
    linkedin_web_url: str  # permalinks: <web>/feed/update/<urn>
    facebook_app_id: str
    facebook_app_secret: str
    facebook_graph_url: str  # https://graph.facebook.com
    facebook_dialog_url: str  # https://www.facebook.com (/<version>/dialog/oauth)
    facebook_web_url: str  # permalinks
    facebook_graph_version: str
    instagram_graph_url: str  # Instagram API with Facebook Login: https://graph.facebook.com
    threads_app_id: str
    threads_app_secret: str
    threads_api_url: str  # https://graph.threads.net
    threads_authorize_url: str  # https://threads.net/oauth/authorize
    bluesky_default_pds: str  # https://bsky.social; users may name their own PDS
    bluesky_web_url: str  # https://bsky.app (permalinks)
    microsoft_ads_client_id: str
    microsoft_ads_client_secret: str
    microsoft_ads_developer_token: str
    microsoft_ads_oauth_url: str  # https://login.microsoftonline.com/common/oauth2/v2.0
    microsoft_ads_campaign_url: str  # https://campaign.api.bingads.microsoft.com
    microsoft_ads_reporting_url: str  # https://reporting.api.bingads.microsoft.com
    microsoft_ads_customer_url: str  # https://clientcenter.api.bingads.microsoft.com
    google_ads_client_id: str
    google_ads_client_secret: str
    google_ads_developer_token: str
    google_ads_oauth_url: str  # https://accounts.google.com/o/oauth2/v2/auth
    google_ads_token_url: str  # https://oauth2.googleapis.com/token
    google_ads_api_url: str  # https://googleads.googleapis.com
    google_ads_api_version: str
    meta_ads_graph_version: (
        str  # the Marketing API's Graph version (graph host: facebook_graph_url)
    )
    worker_batch_size: int
    worker_concurrency: int
    worker_poll_seconds: float
    worker_lease_seconds: float
    # How long one network call may take before its outcome counts as unknown (then reconciled).
    worker_call_timeout_seconds: float
    # Targets due this soon are claimed ahead and sent at their second, so a burst starts on time.
    worker_lookahead_seconds: float
    log_level: str
    log_format: str  # text (for people) | json (one object per line, for log collectors)
    # /metrics: with a token, only `Authorization: Bearer <token>`; without, only loopback clients.
    metrics_token: str
    metrics_host: str  # where `cuecast worker --metrics-port` listens
    # Where e-mail (the weekly reports) goes: smtp://, smtps://, file://, console:// — see
    # `email_settings`; without it, messages are written as files to DATA_DIR/mail.
    email_url: str
    email_from: str


def _load_or_create_secrets(data_dir: Path) -> dict[str, object]:
    """Secrets generated on first start live in DATA_DIR/secrets.json (mode 0600)."""
    path = data_dir / "secrets.json"
    if path.exists():
        loaded: dict[str, object] = json.loads(path.read_text())
        return loaded
    data_dir.mkdir(parents=True, exist_ok=True)
    generated: dict[str, object] = {
        "secret_key": secrets.token_urlsafe(50),
        "encryption_keys": [Fernet.generate_key().decode()],
    }
    # Write to a temporary name and rename, so two processes starting at once never read half a file.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    try:
        os.link(tmp, path)  # fails if another process won the race; then we read theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    loaded = json.loads(path.read_text())
    return loaded


def _network_settings(sandbox: bool, sandbox_url: str) -> dict[str, str]:
    """Each network's client and addresses: the real ones, or the sandbox's emulator."""

    def pick(name: str, real: str, emulated: str) -> str:
        return _env(name, emulated if sandbox else real).rstrip("/")

    client = "cuecast-sandbox" if sandbox else ""
    secret = "cuecast-sandbox-secret" if sandbox else ""
    s = sandbox_url
    return {
        "linkedin_client_id": _env("CUECAST_LINKEDIN_CLIENT_ID", client),
        "linkedin_client_secret": _env("CUECAST_LINKEDIN_CLIENT_SECRET", secret),
        "linkedin_api_url": pick(
            "CUECAST_LINKEDIN_API_URL", "https://api.linkedin.com", f"{s}/linkedin"
        ),
        "linkedin_oauth_url": pick(
            "CUECAST_LINKEDIN_OAUTH_URL",
            "https://www.linkedin.com/oauth/v2",
            f"{s}/linkedin/oauth/v2",
        ),
        "linkedin_web_url": pick(
            "CUECAST_LINKEDIN_WEB_URL", "https://www.linkedin.com", f"{s}/linkedin"
        ),
        # The Meta emulator's apps, as Meta names them (numeric ids).
        "facebook_app_id": _env("CUECAST_FACEBOOK_APP_ID", "900000000000001" if sandbox else ""),
        "facebook_app_secret": _env(
            "CUECAST_FACEBOOK_APP_SECRET", "cuecast-meta-sandbox-secret" if sandbox else ""
        ),
        "facebook_graph_url": pick(
            "CUECAST_FACEBOOK_GRAPH_URL", "https://graph.facebook.com", f"{s}/facebook"
        ),
        "facebook_dialog_url": pick(
            "CUECAST_FACEBOOK_DIALOG_URL", "https://www.facebook.com", f"{s}/facebook"
        ),
        "facebook_web_url": pick(
            "CUECAST_FACEBOOK_WEB_URL", "https://www.facebook.com", f"{s}/facebook"
        ),
        "facebook_graph_version": _env("CUECAST_FACEBOOK_GRAPH_VERSION", "v21.0"),
        "instagram_graph_url": pick(
            "CUECAST_INSTAGRAM_GRAPH_URL", "https://graph.facebook.com", f"{s}/instagram"
        ),
        "threads_app_id": _env("CUECAST_THREADS_APP_ID", "900000000000002" if sandbox else ""),
        "threads_app_secret": _env(
            "CUECAST_THREADS_APP_SECRET", "cuecast-threads-sandbox-secret" if sandbox else ""
        ),
        "threads_api_url": pick(
            "CUECAST_THREADS_API_URL", "https://graph.threads.net", f"{s}/threads"
        ),
        "threads_authorize_url": pick(
            "CUECAST_THREADS_AUTHORIZE_URL",
            "https://threads.net/oauth/authorize",
            f"{s}/threads/oauth/authorize",
        ),
        "bluesky_default_pds": pick("CUECAST_BLUESKY_PDS", "https://bsky.social", f"{s}/bluesky"),
        "bluesky_web_url": pick("CUECAST_BLUESKY_WEB_URL", "https://bsky.app", f"{s}/bluesky"),
        "microsoft_ads_client_id": _env("CUECAST_MICROSOFT_ADS_CLIENT_ID", client),
        "microsoft_ads_client_secret": _env("CUECAST_MICROSOFT_ADS_CLIENT_SECRET", secret),
        "microsoft_ads_developer_token": _env(
            "CUECAST_MICROSOFT_ADS_DEVELOPER_TOKEN",
            "cuecast-sandbox-developer-token" if sandbox else "",
        ),
        "microsoft_ads_oauth_url": pick(
            "CUECAST_MICROSOFT_ADS_OAUTH_URL",
            "https://login.microsoftonline.com/common/oauth2/v2.0",
            f"{s}/msads/oauth",
        ),
        "microsoft_ads_campaign_url": pick(
            "CUECAST_MICROSOFT_ADS_CAMPAIGN_URL",
            "https://campaign.api.bingads.microsoft.com",
            f"{s}/msads/campaign",
        ),
        "microsoft_ads_reporting_url": pick(
            "CUECAST_MICROSOFT_ADS_REPORTING_URL",
            "https://reporting.api.bingads.microsoft.com",
            f"{s}/msads/reporting",
        ),
        "microsoft_ads_customer_url": pick(
            "CUECAST_MICROSOFT_ADS_CUSTOMER_URL",
            "https://clientcenter.api.bingads.microsoft.com",
            f"{s}/msads/clientcenter",
        ),
        "google_ads_client_id": _env("CUECAST_GOOGLE_ADS_CLIENT_ID", client),
        "google_ads_client_secret": _env("CUECAST_GOOGLE_ADS_CLIENT_SECRET", secret),
        "google_ads_developer_token": _env("CUECAST_GOOGLE_ADS_DEVELOPER_TOKEN", ""),
        "google_ads_oauth_url": pick(
            "CUECAST_GOOGLE_ADS_OAUTH_URL",
            "https://accounts.google.com/o/oauth2/v2/auth",
            f"{s}/googleads/oauth/authorize",
        ),
        "google_ads_token_url": pick(
            "CUECAST_GOOGLE_ADS_TOKEN_URL",
            "https://oauth2.googleapis.com/token",
            f"{s}/googleads/oauth/token",
        ),
        "google_ads_api_url": pick(
            "CUECAST_GOOGLE_ADS_API_URL", "https://googleads.googleapis.com", f"{s}/googleads"
        ),
        "google_ads_api_version": _env(
            "CUECAST_GOOGLE_ADS_API_VERSION", "v26"
        ),  # v22 sunset 2026-10-07
        "meta_ads_graph_version": _env("CUECAST_META_ADS_GRAPH_VERSION", "v25.0"),
    }


LOG_FORMATS = ("text", "json")


def _log_format() -> str:
    value = _env("CUECAST_LOG_FORMAT", "text").lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"CUECAST_LOG_FORMAT must be “text” or “json”, not “{value}”.")
    return value


@cache
def load() -> Config:
    data_dir = Path(_env("CUECAST_DATA_DIR", str(Path.cwd() / "var"))).resolve()
    port = int(_env("CUECAST_PORT", "8000"))
    host = _env("CUECAST_HOST", "127.0.0.1")
    sandbox_port = int(_env("CUECAST_SANDBOX_PORT", "8700"))
    sandbox_enabled = _flag("CUECAST_SANDBOX", True)
    sandbox_url = _env("CUECAST_SANDBOX_URL", f"http://127.0.0.1:{sandbox_port}").rstrip("/")
    generated = _load_or_create_secrets(data_dir)
    env_keys = [
        k.strip() for k in os.environ.get("CUECAST_ENCRYPTION_KEYS", "").split(",") if k.strip()
    ]
    stored_keys = generated.get("encryption_keys")
    keys = env_keys or (list(stored_keys) if isinstance(stored_keys, list) else [])
    default_x_api = f"{sandbox_url}/x" if sandbox_enabled else "https://api.x.com"
    default_x_authorize = (
        f"{sandbox_url}/x/i/oauth2/authorize"
        if sandbox_enabled
        else "https://x.com/i/oauth2/authorize"
    )
    return Config(
        data_dir=data_dir,
        database_url=_env("CUECAST_DATABASE_URL", f"sqlite:///{data_dir / 'cuecast.sqlite3'}"),
        host=host,
        port=port,
        public_url=_env("CUECAST_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        sandbox_enabled=sandbox_enabled,
        sandbox_port=sandbox_port,
        sandbox_url=sandbox_url,
        secret_key=_env("CUECAST_SECRET_KEY", str(generated["secret_key"])),
        encryption_keys=tuple(str(k) for k in keys),
        debug=_flag("CUECAST_DEBUG", False),
        allowed_hosts=tuple(
            h.strip() for h in _env("CUECAST_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
        ),
        x_client_id=_env("CUECAST_X_CLIENT_ID", "cuecast-sandbox" if sandbox_enabled else ""),
        x_client_secret=_env(
            "CUECAST_X_CLIENT_SECRET", "cuecast-sandbox-secret" if sandbox_enabled else ""
        ),
        x_api_url=_env("CUECAST_X_API_URL", default_x_api).rstrip("/"),
        x_authorize_url=_env("CUECAST_X_AUTHORIZE_URL", default_x_authorize),
        x_web_url=_env(
            "CUECAST_X_WEB_URL", f"{sandbox_url}/x" if sandbox_enabled else "https://x.com"
        ),
        **_network_settings(sandbox_enabled, sandbox_url),
        worker_batch_size=int(_env("CUECAST_WORKER_BATCH", "100")),
        worker_concurrency=int(_env("CUECAST_WORKER_CONCURRENCY", "50")),
        worker_poll_seconds=float(_env("CUECAST_WORKER_POLL_SECONDS", "0.5")),
        # Longer than the slowest batch of calls, so a live worker never loses its lease; short
        # enough that a dead worker's targets are picked up soon.
        worker_lease_seconds=float(_env("CUECAST_WORKER_LEASE_SECONDS", "120")),
        worker_call_timeout_seconds=float(_env("CUECAST_WORKER_CALL_TIMEOUT_SECONDS", "20")),
        worker_lookahead_seconds=float(_env("CUECAST_WORKER_LOOKAHEAD_SECONDS", "2")),
        log_level=_env("CUECAST_LOG_LEVEL", "INFO"),
        log_format=_log_format(),
        metrics_token=os.environ.get("CUECAST_METRICS_TOKEN", "").strip(),
        metrics_host=_env("CUECAST_METRICS_HOST", "127.0.0.1"),
        email_url=_env("CUECAST_EMAIL_URL", f"file://{data_dir / 'mail'}"),
        email_from=_env("CUECAST_EMAIL_FROM", "Cuecast <cuecast@localhost>"),
    )


@dataclass(frozen=True)
class EmailSettings:
    """Django's e-mail settings, read from one URL (`CUECAST_EMAIL_URL`):

    - `smtp://user:password@host:587` (STARTTLS unless `?tls=0`), `smtps://…:465` (TLS from the
      start); user and password are URL-encoded;
    - `file:///var/lib/cuecast/mail` (one file per message, for trying things out);
    - `console://` (printed to the log) and `locmem://` (kept in memory, for tests).
    """

    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def email_settings(url: str) -> EmailSettings:
    parts = urlsplit(url)
    backend = EMAIL_BACKENDS.get(parts.scheme)
    if backend is None:
        raise ValueError(
            f"CUECAST_EMAIL_URL must start with smtp://, smtps://, file://, console:// or "
            f"locmem://, not “{parts.scheme}://”."
        )
    if parts.scheme == "file":
        return EmailSettings(backend, file_path=unquote(parts.path))
    if parts.scheme not in {"smtp", "smtps"}:
        return EmailSettings(backend)
    ssl = parts.scheme == "smtps"
    tls = not ssl and parse_qs(parts.query).get("tls", ["1"])[0] not in {"0", "false", "no"}
    return EmailSettings(
        backend,
        host=parts.hostname or "localhost",
        port=parts.port or (465 if ssl else 587),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=tls,
        use_ssl=ssl,
    )
