"""Cuecast's log lines: secrets redacted, the work's context on every line, text or JSON.

- `log_context(target_id=..., channel_id=..., network=..., worker=...)` names what is being worked
  on. It lives in a context variable, so each asyncio task and each `sync_to_async` thread of a
  batch carries its own, and every line logged inside it (the dispatcher's, a connector's, the
  `cuecast.http` call lines) gets those fields through `ContextFilter`.
- `CUECAST_LOG_FORMAT=text` (the default, for people) appends the context as `key=value` pairs;
  `json` (for log collectors) writes one object per line: time (UTC), level, logger, message, the
  context fields and any `extra=` fields.
- Tokens, keys and passwords never reach a line: `RedactSecretsFilter` cleans the message, and
  both formatters clean what they add (tracebacks, extra fields) again.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

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


# --- context ----------------------------------------------------------------------------------

LogValue = str | int | float | bool
# Read-only: each `log_context` block sets a new mapping, so a task never changes another's.
_context: ContextVar[Mapping[str, LogValue]] = ContextVar(
    "cuecast_log_context", default=MappingProxyType({})
)

CONTEXT_ATTRIBUTE = "cuecast_context"


@contextmanager
def log_context(**fields: LogValue | None) -> Iterator[None]:
    """Add fields to every line logged inside the block (nested blocks add to the outer ones;
    None leaves a field out). Set per task: concurrent tasks never see each other's fields."""
    given = {name: value for name, value in fields.items() if value is not None}
    token = _context.set({**_context.get(), **given})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, LogValue]:
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Put the current `log_context` on the record. On the handler, so that lines from every
    logger (httpx's, Django's, a connector's) that reach it get it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, CONTEXT_ATTRIBUTE):
            setattr(record, CONTEXT_ATTRIBUTE, current_context())
        return True


def _record_context(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, CONTEXT_ATTRIBUTE, None)
    # A record that never passed ContextFilter (a handler configured without it) still gets the
    # context of the code that formats it, which is the code that logged it.
    return dict(fields) if isinstance(fields, dict) else current_context()


# --- formats ----------------------------------------------------------------------------------


def _utc_iso(created: float) -> str:
    return (
        datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class TextFormatter(logging.Formatter):
    """`2026-03-01T09:00:00.123Z INFO cuecast.http message [target_id=7 network=x]`, in UTC."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record.created)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _record_context(record)
        if fields:
            pairs = " ".join(f"{name}={value}" for name, value in fields.items())
            # On the first line: a traceback's last line is the wrong place to look for it.
            head, newline, rest = line.partition("\n")
            line = f"{head} [{pairs}]{newline}{rest}"
        return redact(line)


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", CONTEXT_ATTRIBUTE}
)


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then context and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        extras = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}
        for name, value in [*_record_context(record).items(), *extras.items()]:
            line.setdefault(name, _json_safe(value))  # never over the four keys above
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


def logging_config(level: str, log_format: str) -> dict[str, Any]:
    """The `LOGGING` dict for Django's settings (and the CLI before Django starts)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": "cuecast.logging.RedactSecretsFilter"},
            "context": {"()": "cuecast.logging.ContextFilter"},
        },
        "formatters": {
            "text": {"()": "cuecast.logging.TextFormatter"},
            "json": {"()": "cuecast.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "text",
                "filters": ["redact", "context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"httpx": {"level": "WARNING"}, "uvicorn.access": {"level": "WARNING"}},
    }
