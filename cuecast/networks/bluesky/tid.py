"""Timestamp identifiers (TIDs), the record keys of `app.bsky.feed.post` (atproto.com/specs/tid).

A TID is a 64-bit integer (top bit 0, then 53 bits of microseconds since the UNIX epoch, then a
10-bit random clock identifier) written big-endian in base32-sortable (`234567a-z`), always 13
characters. Cuecast chooses one per part before the first create call so a retry cannot post twice.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")

_lock = threading.Lock()
_last = 0


def encode(micros: int, clock_id: int) -> str:
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def decode(tid: str) -> tuple[int, int]:
    """(microseconds, clock id) of a valid TID."""
    if not is_valid(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for char in tid:
        value = (value << 5) | ALPHABET.index(char)
    return value >> 10, value & 0x3FF


def is_valid(value: str) -> bool:
    return bool(TID_RE.match(value))


def next_tid(now_micros: int | None = None) -> str:
    """A new TID, strictly increasing within this process (the spec asks generators to be
    monotonic); the random clock id keeps two Cuecast processes from colliding."""
    global _last
    with _lock:
        micros = now_micros if now_micros is not None else time.time_ns() // 1000
        micros = max(micros, _last + 1)
        _last = micros
    return encode(micros, secrets.randbelow(1024))
