"""Mastodon's status length rule, mirrored from its `StatusLengthValidator`.

Mastodon (app/validators/status_length_validator.rb) counts the content warning plus the text after
rewriting two kinds of entity:

* every URL that its extractor finds (twitter-text's URL pattern with Mastodon's overrides in
  config/initializers/twitter_regex.rb, and only URLs that carry a protocol) counts as
  ``characters_reserved_per_url`` characters (23 on a stock server), whatever its real length;
* every mention (``Account::MENTION_RE``) counts as ``@username``: the ``@domain`` of a remote
  mention is free.

What remains is counted in extended grapheme clusters (Ruby's ``each_grapheme_cluster``), so a
flag or a family emoji is one character.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex
from twitter_text.regexp.valid_domain import valid_domain
from twitter_text.regexp.valid_port_number import valid_port_number
from twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

DEFAULT_URL_LENGTH = 23

# Mastodon's overrides of twitter-text (config/initializers/twitter_regex.rb).
_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_BALANCED_PARENS = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
_PATH_END = rf"""(?:[^\p{{White_Space}}()?!*"'「」<>;:=,.$%\[\]~&|@]|{_BALANCED_PARENS})"""
_UCHARS = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    "\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    "\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_QUERY_CHAR = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{_UCHARS}]"
_QUERY_END = rf"[a-z0-9_&=#/\-{_UCHARS}]"
_URL_PATH = (
    rf"(?:(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:{_PATH_CHAR}+/))"
)
_PROTOCOL = r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://"

URL_RE = regex.compile(
    rf"(?P<before>{valid_url_preceding_chars.pattern})"
    rf"(?P<url>{_PROTOCOL}(?:{valid_domain.pattern})(?::(?:{valid_port_number.pattern}))?"
    rf"(?:/{_URL_PATH}*)?(?:\?{_QUERY_CHAR}*{_QUERY_END})?)",
    regex.IGNORECASE | regex.VERSION0,
)

# Account::MENTION_RE and USERNAME_RE (app/models/account.rb).
_USERNAME = r"(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
MENTION_RE = regex.compile(rf"(?<![=/\w])@(?P<name>(?P<user>{_USERNAME})(?:@\w+(?:[.-]+\w+)*)?)")
# twitter-text's end_mention_match: a mention followed by these is not a mention.
_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_END_MENTION = regex.compile(rf"(?:[@\uff20]|[{_LATIN_ACCENTS}]|://)")


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    replacement: str


def _urls(text: str, url_length: int) -> list[Entity]:
    if ":" not in text:
        return []
    placeholder = "x" * url_length
    return [Entity(m.start("url"), m.end("url"), placeholder) for m in URL_RE.finditer(text)]


def _mentions(text: str) -> list[Entity]:
    if "@" not in text:
        return []
    found = []
    for match in MENTION_RE.finditer(text):
        if _END_MENTION.match(text, match.end()):
            continue
        found.append(Entity(match.start(), match.end("name"), "@" + match.group("user")))
    return found


def _remove_overlapping(entities: list[Entity]) -> list[Entity]:
    kept: list[Entity] = []
    for entity in sorted(entities, key=lambda e: e.start):
        if kept and kept[-1].end > entity.start:
            continue
        kept.append(entity)
    return kept


def countable_text(text: str, url_length: int = DEFAULT_URL_LENGTH) -> str:
    """The text as Mastodon measures it: URLs as placeholders, mentions without their domain."""
    if not text.strip():
        return ""
    entities = _remove_overlapping(_urls(text, url_length) + _mentions(text))
    pieces: list[str] = []
    cursor = 0
    for entity in entities:
        pieces.append(text[cursor : entity.start])
        pieces.append(entity.replacement)
        cursor = entity.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def count(text: str, *, url_length: int = DEFAULT_URL_LENGTH, spoiler_text: str = "") -> int:
    """Mastodon's length of a status: grapheme clusters of the content warning plus the text."""
    combined = spoiler_text + countable_text(text, url_length)
    return len(regex.findall(r"\X", combined))
