"""Log redaction: tokens, keys and passwords never reach a log line."""

from __future__ import annotations

import logging
import re

_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*)(bearer|basic)\s+\S+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|code_verifier|api_key)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
    ),
    re.compile(r"\bcc_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{20,}"),  # Cuecast API keys
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.lastindex else "") + "[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
