"""Pressing "Authorize" on a sandbox consent page, as a browser would (shared by the ad-source
tests)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


class FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("name") and a.get("type", "text") in ("hidden", "text"):
            self.fields[a["name"]] = a.get("value", "")


def consent(url: str, user: str) -> dict[str, str]:
    """Open the authorize URL, act as `user`, authorize; the callback's query parameters."""
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        form = FormReader()
        form.feed(page.text)
        answer = browser.post(
            urljoin(url, form.action),
            data={**form.fields, "user": user, "decision": "authorize"},
        )
    assert answer.status_code in (302, 303), answer.text
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
