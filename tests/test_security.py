"""Standing rules: credentials encrypted at rest, no secrets in logs, SSRF guard on user URLs."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from cuecast.http import UnsafeUrl, check_user_url
from cuecast.logging import redact


def test_channel_credentials_are_encrypted_in_the_database(channels) -> None:
    channel = channels["x"]
    token = channel.credentials["access_token"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channel WHERE id = %s", [channel.pk])
        (raw,) = cursor.fetchone()
    assert token not in raw and "access_token" not in raw
    channel.refresh_from_db()
    assert channel.credentials["access_token"] == token


def test_rotating_keys_keeps_credentials_readable(channels, monkeypatch) -> None:
    from cryptography.fernet import Fernet

    from cuecast import config, crypto

    old_keys = config.load().encryption_keys
    monkeypatch.setenv(
        "CUECAST_ENCRYPTION_KEYS", ",".join([Fernet.generate_key().decode(), *old_keys])
    )
    config.load.cache_clear()
    crypto._fernet.cache_clear()
    try:
        from cuecast.cli import cmd_rotate_keys

        cmd_rotate_keys(None)  # type: ignore[arg-type]
        # Only the new key now: the rotated rows must still decrypt.
        monkeypatch.setenv("CUECAST_ENCRYPTION_KEYS", config.load().encryption_keys[0])
        config.load.cache_clear()
        crypto._fernet.cache_clear()
        channel = type(channels["x"]).objects.get(pk=channels["x"].pk)
        assert channel.credentials["access_token"] == channels["x"].credentials["access_token"]
    finally:
        monkeypatch.delenv("CUECAST_ENCRYPTION_KEYS")
        config.load.cache_clear()
        crypto._fernet.cache_clear()


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer abc.def-123",
        "access_token=abc123&state=x",
        '{"refresh_token": "r-123", "x": 1}',
        "client_secret: s3cr3t",
        "key cc_1a2b3c4d_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_secrets_are_redacted_from_log_lines(line: str) -> None:
    cleaned = redact(line)
    assert "[redacted]" in cleaned
    for secret in ("abc.def-123", "abc123", "r-123", "s3cr3t", "AAAAAAAAAAAAAAAAAAAA"):
        assert secret not in cleaned


def test_log_filter_applies_to_formatted_arguments(caplog) -> None:
    from cuecast.logging import RedactSecretsFilter

    logger = logging.getLogger("cuecast.test-redact")
    logger.addFilter(RedactSecretsFilter())
    with caplog.at_level(logging.INFO, logger="cuecast.test-redact"):
        logger.info("token response %s", {"access_token": "tok-999"})
    assert "tok-999" not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "https://127.0.0.1/",
        "https://10.0.0.5/",
        "https://169.254.169.254/latest",
        "https://[::1]/",
        "file:///etc/passwd",
        "https://localhost/",
        "gopher://example.com",
    ],
)
def test_user_supplied_urls_to_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_user_url(url)


def test_the_configured_sandbox_is_allowed(sandbox) -> None:
    assert check_user_url(f"{sandbox.url}/mastodon") == f"{sandbox.url}/mastodon"
