"""Lexicon validation of ``app.bsky.feed.post`` records, in the reference PDS's words.

Rules from the lexicons (bluesky-social/atproto ``lexicons/``): ``app.bsky.feed.post``,
``app.bsky.richtext.facet``, ``app.bsky.embed.{images,external,record,recordWithMedia,video,defs}``,
``com.atproto.repo.strongRef``. Messages follow @atproto/lexicon's validators (``Record/text must
not be longer than 300 graphemes``...); the PDS prefixes them with ``Invalid app.bsky.feed.post
record: `` and answers 400 InvalidRequest.

One check goes beyond the reference PDS and can be switched off (``check_facet_ranges``): a facet's
byte range must be non-empty, inside the text, and start and end on UTF-8 character boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import regex

from sandbox.bluesky.state import POST, BlueskyConfig
from sandbox.bluesky.xrpc import XrpcError, invalid

DATETIME_RE = re.compile(
    r"^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\.[0-9]{1,20})?"
    r"(Z|([+-][0-2][0-9]:[0-5][0-9]))$"
)
DID_RE = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$")
URI_RE = re.compile(r"^\w+:(?://)?[^\s/][^\s]*$")
AT_URI_RE = re.compile(r"^at://[a-zA-Z0-9._:%-]+(/[a-zA-Z0-9.-]+(/[A-Za-z0-9._:~-]+)?)?$")
CID_RE = re.compile(r"^[a-zA-Z0-9+=]{8,256}$")
LANG_RE = re.compile(r"^(i|[a-zA-Z]{2,3})(-[a-zA-Z0-9]+)*$")
GRAPHEME_RE = regex.compile(r"\X")

EMBEDS = (
    "app.bsky.embed.images",
    "app.bsky.embed.video",
    "app.bsky.embed.external",
    "app.bsky.embed.record",
    "app.bsky.embed.recordWithMedia",
)
MEDIA = ("app.bsky.embed.images", "app.bsky.embed.video", "app.bsky.embed.external")
FEATURES = (
    "app.bsky.richtext.facet#mention",
    "app.bsky.richtext.facet#link",
    "app.bsky.richtext.facet#tag",
)


def graphemes(text: str) -> int:
    return len(GRAPHEME_RE.findall(text))


@dataclass
class BlobUse:
    path: str
    cid: str
    mime_type: str
    size: int | None
    accept: tuple[str, ...]
    max_size: int


@dataclass
class PostCheck:
    config: BlueskyConfig
    blobs: list[BlobUse] = field(default_factory=list)

    # --- helpers --------------------------------------------------------------------------------
    def fail(self, message: str) -> XrpcError:
        return invalid(f"Invalid {POST} record: {message}")

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{path} must be an object")
        return value

    def required(self, value: dict[str, Any], path: str, *keys: str) -> None:
        for key in keys:
            if value.get(key) is None:
                raise self.fail(f'{path} must have the property "{key}"')

    def string(
        self,
        value: Any,
        path: str,
        max_bytes: int | None = None,
        max_graphemes: int | None = None,
    ) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{path} must be a string")
        if max_bytes is not None and len(value.encode("utf-8")) > max_bytes:
            raise self.fail(f"{path} must not be longer than {max_bytes} characters")
        if max_graphemes is not None and graphemes(value) > max_graphemes:
            raise self.fail(f"{path} must not be longer than {max_graphemes} graphemes")
        return value

    def integer(self, value: Any, path: str, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{path} must be an integer")
        if minimum is not None and value < minimum:
            raise self.fail(f"{path} can not be less than {minimum}")
        return value

    def array(self, value: Any, path: str, max_length: int | None = None) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(f"{path} must be an array")
        if max_length is not None and len(value) > max_length:
            raise self.fail(f"{path} must not have more than {max_length} elements")
        return value

    def fmt(self, value: Any, path: str, pattern: re.Pattern[str], what: str) -> str:
        text = self.string(value, path)
        if not pattern.match(text):
            raise self.fail(f"{path} {what}")
        return text

    def union_type(self, value: Any, path: str) -> str:
        if not isinstance(value, dict) or not isinstance(value.get("$type"), str):
            raise self.fail(f'{path} must be an object which includes the "$type" property')
        kind: str = value["$type"]
        return kind[: -len("#main")] if kind.endswith("#main") else kind

    # --- the record -----------------------------------------------------------------------------
    def record(self, record: dict[str, Any]) -> None:
        path = "Record"
        self.required(record, path, "text", "createdAt")
        text = self.string(
            record["text"],
            f"{path}/text",
            max_bytes=self.config.max_text_bytes,
            max_graphemes=self.config.max_graphemes,
        )
        self.datetime(record["createdAt"], f"{path}/createdAt")
        if record.get("facets") is not None:
            for i, facet in enumerate(self.array(record["facets"], f"{path}/facets")):
                self.facet(facet, f"{path}/facets/{i}", text)
        if record.get("reply") is not None:
            reply = self.obj(record["reply"], f"{path}/reply")
            self.required(reply, f"{path}/reply", "root", "parent")
            self.strong_ref(reply["root"], f"{path}/reply/root")
            self.strong_ref(reply["parent"], f"{path}/reply/parent")
        if record.get("embed") is not None:
            self.embed(record["embed"], f"{path}/embed", EMBEDS)
        if record.get("langs") is not None:
            for i, lang in enumerate(self.array(record["langs"], f"{path}/langs", 3)):
                self.fmt(
                    lang, f"{path}/langs/{i}", LANG_RE, "must be a well-formed BCP 47 language tag"
                )
        if record.get("tags") is not None:
            for i, tag in enumerate(self.array(record["tags"], f"{path}/tags", 8)):
                self.string(tag, f"{path}/tags/{i}", max_bytes=640, max_graphemes=64)
        if record.get("labels") is not None:
            labels = self.obj(record["labels"], f"{path}/labels")
            self.union_type(labels, f"{path}/labels")

    def datetime(self, value: Any, path: str) -> None:
        self.fmt(
            value,
            path,
            DATETIME_RE,
            "must be an valid atproto datetime (both RFC-3339 and ISO-8601)",
        )

    def strong_ref(self, value: Any, path: str) -> None:
        ref = self.obj(value, path)
        self.required(ref, path, "uri", "cid")
        self.fmt(ref["uri"], f"{path}/uri", AT_URI_RE, "must be a valid at-uri")
        self.fmt(ref["cid"], f"{path}/cid", CID_RE, "must be a cid string")

    def facet(self, value: Any, path: str, text: str) -> None:
        facet = self.obj(value, path)
        self.required(facet, path, "index", "features")
        index = self.obj(facet["index"], f"{path}/index")
        self.required(index, f"{path}/index", "byteStart", "byteEnd")
        start = self.integer(index["byteStart"], f"{path}/index/byteStart", 0)
        end = self.integer(index["byteEnd"], f"{path}/index/byteEnd", 0)
        if self.config.check_facet_ranges:
            self.facet_range(start, end, f"{path}/index", text)
        for i, feature in enumerate(self.array(facet["features"], f"{path}/features")):
            fpath = f"{path}/features/{i}"
            kind = self.union_type(feature, fpath)
            if kind == "app.bsky.richtext.facet#mention":
                self.required(feature, fpath, "did")
                self.fmt(feature["did"], f"{fpath}/did", DID_RE, "must be a valid did")
            elif kind == "app.bsky.richtext.facet#link":
                self.required(feature, fpath, "uri")
                self.fmt(feature["uri"], f"{fpath}/uri", URI_RE, "must be a uri")
            elif kind == "app.bsky.richtext.facet#tag":
                self.required(feature, fpath, "tag")
                self.string(feature["tag"], f"{fpath}/tag", max_bytes=640, max_graphemes=64)
            # the features union is open: other $types pass

    def facet_range(self, start: int, end: int, path: str, text: str) -> None:
        """Sandbox check: the slice must be non-empty, inside the text, on character boundaries."""
        data = text.encode("utf-8")
        if end > len(data):
            raise self.fail(
                f"{path} byteEnd {end} is beyond the end of the text ({len(data)} UTF-8 bytes)"
            )
        if start >= end:
            raise self.fail(f"{path} byteStart {start} must be less than byteEnd {end}")
        for name, offset in (("byteStart", start), ("byteEnd", end)):
            if offset < len(data) and (data[offset] & 0xC0) == 0x80:
                raise self.fail(
                    f"{path}/{name} {offset} falls inside a UTF-8 character "
                    "(offsets count UTF-8 bytes, not characters or UTF-16 units)"
                )

    def blob(self, value: Any, path: str, accept: tuple[str, ...], max_size: int) -> None:
        use = parse_blob(value)
        if use is None:
            raise self.fail(f"{path} should be a blob ref")
        cid, mime, size = use
        self.blobs.append(BlobUse(path, cid, mime, size, accept, max_size))

    def embed(self, value: Any, path: str, allowed: tuple[str, ...]) -> None:
        kind = self.union_type(value, path)
        if kind not in allowed:
            return  # open union: unknown $types are not validated
        embed: dict[str, Any] = value
        if kind == "app.bsky.embed.images":
            self.required(embed, path, "images")
            images = self.array(embed["images"], f"{path}/images", self.config.max_images)
            for i, item in enumerate(images):
                ipath = f"{path}/images/{i}"
                image = self.obj(item, ipath)
                self.required(image, ipath, "image", "alt")
                self.blob(
                    image["image"], f"{ipath}/image", ("image/*",), self.config.image_max_size
                )
                self.string(image["alt"], f"{ipath}/alt")
                if image.get("aspectRatio") is not None:
                    self.aspect_ratio(image["aspectRatio"], f"{ipath}/aspectRatio")
        elif kind == "app.bsky.embed.video":
            self.required(embed, path, "video")
            self.blob(embed["video"], f"{path}/video", ("video/mp4",), 100_000_000)
            if embed.get("alt") is not None:
                self.string(embed["alt"], f"{path}/alt", max_bytes=10000, max_graphemes=1000)
            if embed.get("aspectRatio") is not None:
                self.aspect_ratio(embed["aspectRatio"], f"{path}/aspectRatio")
        elif kind == "app.bsky.embed.external":
            self.required(embed, path, "external")
            external = self.obj(embed["external"], f"{path}/external")
            epath = f"{path}/external"
            self.required(external, epath, "uri", "title", "description")
            self.fmt(external["uri"], f"{epath}/uri", URI_RE, "must be a uri")
            self.string(external["title"], f"{epath}/title")
            self.string(external["description"], f"{epath}/description")
            if external.get("thumb") is not None:
                self.blob(external["thumb"], f"{epath}/thumb", ("image/*",), 1_000_000)
        elif kind == "app.bsky.embed.record":
            self.required(embed, path, "record")
            self.strong_ref(embed["record"], f"{path}/record")
        elif kind == "app.bsky.embed.recordWithMedia":
            self.required(embed, path, "record", "media")
            self.embed(
                {"$type": "app.bsky.embed.record", **self.obj(embed["record"], f"{path}/record")},
                f"{path}/record",
                ("app.bsky.embed.record",),
            )
            self.embed(embed["media"], f"{path}/media", MEDIA)

    def aspect_ratio(self, value: Any, path: str) -> None:
        ratio = self.obj(value, path)
        self.required(ratio, path, "width", "height")
        self.integer(ratio["width"], f"{path}/width", 1)
        self.integer(ratio["height"], f"{path}/height", 1)


def parse_blob(value: Any) -> tuple[str, str, int | None] | None:
    """``(cid, mimeType, size)`` of a blob ref: ``{"$type":"blob","ref":{"$link"},"mimeType","size"}``
    or the legacy ``{"cid","mimeType"}``; None when it is neither."""
    if not isinstance(value, dict):
        return None
    if value.get("$type") == "blob":
        ref = value.get("ref")
        link = ref.get("$link") if isinstance(ref, dict) else None
        mime = value.get("mimeType")
        size = value.get("size")
        if (
            isinstance(link, str)
            and isinstance(mime, str)
            and isinstance(size, int)
            and not isinstance(size, bool)
        ):
            return link, mime, size
        return None
    if isinstance(value.get("cid"), str) and isinstance(value.get("mimeType"), str):
        return str(value["cid"]), str(value["mimeType"]), None
    return None


def accepted(mime: str, accept: tuple[str, ...]) -> bool:
    if "*/*" in accept:
        return True
    for pattern in accept:
        if pattern.endswith("/*") and mime.startswith(pattern[:-1]):
            return True
    return mime in accept


def format_bytes(size: int) -> str:
    """Like the ``bytes`` npm package the PDS uses: 1000000 -> ``976.56KB``."""
    units = (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10))
    for unit, factor in units:
        if size >= factor:
            text = f"{size / factor:.2f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return f"{size}B"
