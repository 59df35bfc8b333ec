"""Structured logs: every line logged while a target is worked on carries its id, across
concurrent asyncio tasks and the threads `sync_to_async` runs on; secrets are redacted in the
text and the JSON format alike."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async

from cuecast import http
from cuecast.logging import (
    ContextFilter,
    JsonFormatter,
    RedactSecretsFilter,
    TextFormatter,
    current_context,
    log_context,
    logging_config,
)

log = logging.getLogger("cuecast.test_logging")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Captured:
    """A handler set up as LOGGING sets up the console one, writing to a string."""

    def __init__(self, formatter: logging.Formatter) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(RedactSecretsFilter())
        self.handler.addFilter(ContextFilter())
        self.handler.setFormatter(formatter)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]


def _capture(formatter: logging.Formatter) -> Iterator[Captured]:
    captured = Captured(formatter)
    cuecast = logging.getLogger("cuecast")
    previous = cuecast.level
    cuecast.addHandler(captured.handler)
    cuecast.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        cuecast.removeHandler(captured.handler)
        cuecast.setLevel(previous)


@pytest.fixture
def as_json() -> Iterator[Captured]:
    yield from _capture(JsonFormatter())


@pytest.fixture
def as_text() -> Iterator[Captured]:
    yield from _capture(TextFormatter())


def test_concurrent_tasks_each_log_their_own_target(as_json: Captured) -> None:
    async def work(target_id: int) -> None:
        with log_context(target_id=target_id, network="x"):
            for step in range(3):
                log.info("step %s for target %s", step, target_id)
                await asyncio.sleep(0)  # let the other tasks run in between

    async def batch() -> None:
        await asyncio.gather(*(work(i) for i in range(20)))

    asyncio.run(batch())
    lines = as_json.json_lines()
    assert len(lines) == 60
    # The tasks really interleaved: the first twenty lines are twenty different targets.
    assert {line["target_id"] for line in lines[:20]} == set(range(20))
    for line in lines:
        assert line["message"].endswith(f"for target {line['target_id']}")
        assert line["network"] == "x"
    assert current_context() == {}


def test_the_http_call_lines_carry_the_target_they_were_made_for(as_json: Captured) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return httpx.Response(200, json={"ok": True})

    async def publish(client: httpx.AsyncClient, target_id: int) -> None:
        with log_context(target_id=target_id, channel_id=100 + target_id):
            await client.get(f"https://api.example/posts/{target_id}")

    async def batch() -> None:
        async with http.async_client(transport=httpx.MockTransport(answer)) as client:
            await asyncio.gather(*(publish(client, i) for i in range(10)))

    asyncio.run(batch())
    calls = [line for line in as_json.json_lines() if line["logger"] == "cuecast.http"]
    assert len(calls) == 20  # one line as each request leaves, one as its answer comes
    for line in calls:
        called = re.search(r"/posts/(\d+)", line["message"])
        assert called is not None and int(called.group(1)) == line["target_id"]
        assert line["channel_id"] == 100 + line["target_id"]


def test_lines_from_sync_to_async_threads_keep_the_context(as_json: Captured) -> None:
    async def work(target_id: int) -> None:
        with log_context(target_id=target_id):
            await sync_to_async(log.info)("stored progress for target %s", target_id)

    async def batch() -> None:
        await asyncio.gather(*(work(i) for i in range(5)))

    asyncio.run(batch())
    for line in as_json.json_lines():
        assert line["message"].endswith(f"target {line['target_id']}")


def test_contexts_nest_and_end_with_their_block(as_json: Captured) -> None:
    with log_context(worker="host:1:abc"):
        with log_context(target_id=7, network="mastodon", channel_id=None):
            log.info("inside")
        log.info("after the target")
    log.info("outside")
    inside, after, outside = as_json.json_lines()
    assert (inside["worker"], inside["target_id"], inside["network"]) == (
        "host:1:abc",
        7,
        "mastodon",
    )
    assert "channel_id" not in inside  # None leaves a field out
    assert after["worker"] == "host:1:abc" and "target_id" not in after
    assert "worker" not in outside


def test_a_json_line_has_time_level_logger_message_and_extras(as_json: Captured) -> None:
    with log_context(target_id=3, message="a context field cannot replace the message"):
        log.warning("held for %s", "quota", extra={"hold": "quota", "attempt": 2})
    [line] = as_json.json_lines()
    assert UTC_TIME.match(line["time"]), line["time"]
    assert (line["level"], line["logger"]) == ("WARNING", "cuecast.test_logging")
    assert line["message"] == "held for quota"
    assert (line["target_id"], line["hold"], line["attempt"]) == (3, "quota", 2)


def test_the_text_format_appends_the_context_on_the_first_line(as_text: Captured) -> None:
    with log_context(target_id=5, network="x"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            log.exception("publishing failed")
    first, *traceback = as_text.text.splitlines()
    stamp, level, logger, *message = first.split(" ")
    assert UTC_TIME.match(stamp) and (level, logger) == ("ERROR", "cuecast.test_logging")
    assert " ".join(message) == "publishing failed [target_id=5 network=x]"
    assert traceback[-1] == "RuntimeError: boom"


SECRETS = ("sekrit-bearer-123", "hunter2", "at-456", "rt-789")


def _log_secrets() -> None:
    log.info("calling with Authorization: Bearer %s and password=%s", *SECRETS[:2])
    try:
        raise ValueError(f"token answer: access_token={SECRETS[2]}")
    except ValueError:
        log.exception("exchange failed", extra={"body": f'{{"refresh_token": "{SECRETS[3]}"}}'})


@pytest.mark.parametrize("captured", ["as_json", "as_text"])
def test_secrets_never_reach_a_line(captured: str, request: pytest.FixtureRequest) -> None:
    output: Captured = request.getfixturevalue(captured)
    with log_context(target_id=1):
        _log_secrets()
    assert output.text.count("[redacted]") >= 3
    for secret in SECRETS:
        assert secret not in output.text


def test_logging_config_picks_the_format() -> None:
    for log_format in ("text", "json"):
        handler = logging_config("INFO", log_format)["handlers"]["console"]
        assert handler["formatter"] == log_format
        assert handler["filters"] == ["redact", "context"]


def test_cuecast_log_format_json_reaches_the_running_process(tmp_path: Path) -> None:
    """The real wiring: environment → config → Django's LOGGING → one JSON object per line."""
    script = (
        "import django, logging, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'cuecast.settings'\n"
        "django.setup()\n"
        "from cuecast.logging import log_context\n"
        "with log_context(target_id=42, network='bluesky'):\n"
        "    logging.getLogger('cuecast.publishing').warning('sent with password=%s', 'hunter2')\n"
    )
    env = {
        **os.environ,
        "CUECAST_LOG_FORMAT": "json",
        "CUECAST_DATA_DIR": str(tmp_path),
        "CUECAST_SANDBOX": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    [line] = [json.loads(text) for text in result.stderr.splitlines()]
    assert (line["target_id"], line["network"], line["logger"]) == (
        42,
        "bluesky",
        "cuecast.publishing",
    )
    assert line["message"] == "sent with password=[redacted]"


def test_an_unknown_log_format_is_refused_with_a_sentence(tmp_path: Path) -> None:
    env = {**os.environ, "CUECAST_LOG_FORMAT": "xml", "CUECAST_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "cuecast.cli", "migrate"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert "CUECAST_LOG_FORMAT must be “text” or “json”, not “xml”." in result.stderr
