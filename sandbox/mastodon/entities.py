"""Mastodon API entities (docs.joinmastodon.org/entities/): Account, Status, MediaAttachment..."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

import regex

from sandbox.mastodon.counting import URL_RE
from sandbox.mastodon.state import Account, MastodonState, Media, Status


def iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def account_json(base: str, account: Account, ms: MastodonState) -> dict[str, Any]:
    last = ms.last_status_at.get(account.id)
    return {
        "id": account.id,
        "username": account.username,
        "acct": account.username,
        "display_name": account.display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": account.created_at,
        "note": "<p>Sandbox account</p>",
        "url": f"{base}/@{account.username}",
        "uri": f"{base}/users/{account.username}",
        "avatar": f"{base}/avatars/original/missing.png",
        "avatar_static": f"{base}/avatars/original/missing.png",
        "header": f"{base}/headers/original/missing.png",
        "header_static": f"{base}/headers/original/missing.png",
        "followers_count": account.figures.get("followers_count", 0),
        "following_count": account.figures.get("following_count", 0),
        "statuses_count": ms.live_counts[account.id],
        "last_status_at": datetime.fromtimestamp(last, UTC).date().isoformat() if last else None,
        "emojis": [],
        "fields": [],
    }


def credential_account_json(base: str, account: Account, ms: MastodonState) -> dict[str, Any]:
    data = account_json(base, account, ms)
    data["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "note": "Sandbox account",
        "fields": [],
        "follow_requests_count": 0,
    }
    data["role"] = {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}
    return data


def media_json(base: str, media: Media, now: float) -> dict[str, Any]:
    ready = now >= media.ready_at
    ext = media.filename.rsplit(".", 1)[-1] if "." in media.filename else "bin"
    url = f"{base}/system/media_attachments/{media.id}/original.{ext}"
    return {
        "id": media.id,
        "type": media.type,
        "url": url if ready else None,
        "preview_url": f"{base}/system/media_attachments/{media.id}/small.{ext}",
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {"original": {"size": f"{len(media.data)} bytes"}} if ready else {},
        "description": media.description,
        "blurhash": None,
    }


def html_content(text: str) -> str:
    """Plain text to Mastodon-style HTML: paragraphs, line breaks, linked URLs."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()] or [""]
    out = []
    for paragraph in paragraphs:
        pieces: list[str] = []
        cursor = 0
        for match in URL_RE.finditer(paragraph):
            pieces.append(escape(paragraph[cursor : match.start()]))
            url = escape(match.group(0))
            pieces.append(f'<a href="{url}" rel="nofollow noopener" target="_blank">{url}</a>')
            cursor = match.end()
        pieces.append(escape(paragraph[cursor:]))
        out.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return "".join(out)


def status_json(
    base: str, status: Status, ms: MastodonState, now: float, with_source: bool = False
) -> dict[str, Any]:
    account = ms.accounts[status.account_id]
    replies = ms.reply_counts[status.id]
    data: dict[str, Any] = {
        "id": status.id,
        "created_at": iso(status.created_at),
        "in_reply_to_id": status.in_reply_to_id,
        "in_reply_to_account_id": status.in_reply_to_account_id,
        "sensitive": status.sensitive,
        "spoiler_text": status.spoiler_text,
        "visibility": status.visibility,
        "language": status.language,
        "uri": f"{base}/users/{account.username}/statuses/{status.id}",
        "url": f"{base}/@{account.username}/{status.id}",
        "replies_count": status.metrics.get("replies_count", replies),
        "reblogs_count": status.metrics.get("reblogs_count", 0),
        "favourites_count": status.metrics.get("favourites_count", 0),
        "quotes_count": status.metrics.get("quotes_count", 0),
        "edited_at": None,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "content": html_content(status.text),
        "filtered": [],
        "reblog": None,
        "application": {"name": status.application, "website": None}
        if status.application
        else None,
        "account": account_json(base, account, ms),
        "media_attachments": [
            media_json(base, ms.media[m], now) for m in status.media_ids if m in ms.media
        ],
        "mentions": [],
        "tags": [
            {"name": tag.lower(), "url": f"{base}/tags/{tag.lower()}"}
            for tag in regex.findall(r"(?<![\p{L}\p{N}_])#([\p{L}\p{N}_]+)", status.text)
        ],
        "emojis": [],
        "card": None,
        "poll": _poll_json(status, now) if status.poll else None,
    }
    if with_source:
        data["text"] = status.text
    return data


def _poll_json(status: Status, now: float) -> dict[str, Any]:
    poll = status.poll or {}
    expires = status.created_at + float(poll.get("expires_in", 86400))
    return {
        "id": status.id,
        "expires_at": iso(expires),
        "expired": now >= expires,
        "multiple": bool(poll.get("multiple", False)),
        "votes_count": 0,
        "voters_count": 0,
        "options": [{"title": o, "votes_count": 0} for o in poll.get("options", [])],
        "emojis": [],
        "voted": False,
        "own_votes": [],
    }


def instance_json(base: str, domain: str, ms: MastodonState) -> dict[str, Any]:
    cfg = ms.config
    return {
        "domain": domain,
        "title": "Cuecast Sandbox",
        "version": "4.3.0",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "An emulated Mastodon instance for Cuecast's tests and demo.",
        "usage": {"users": {"active_month": len(ms.accounts)}},
        "thumbnail": {"url": f"{base}/packs/media/images/preview.png"},
        "languages": ["en", "de"],
        "configuration": {
            "urls": {"streaming": base.replace("http", "ws", 1), "status": None},
            "vapid": {"public_key": "sandbox"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": cfg.max_characters,
                "max_media_attachments": cfg.max_media_attachments,
                "characters_reserved_per_url": cfg.characters_reserved_per_url,
            },
            "media_attachments": {
                "supported_mime_types": [
                    "image/jpeg",
                    "image/png",
                    "image/gif",
                    "image/heic",
                    "image/heif",
                    "image/webp",
                    "image/avif",
                    "video/webm",
                    "video/mp4",
                    "video/quicktime",
                    "video/ogg",
                    "audio/wave",
                    "audio/wav",
                    "audio/x-wav",
                    "audio/mpeg",
                    "audio/mp3",
                    "audio/ogg",
                    "audio/flac",
                    "audio/aac",
                    "audio/mp4",
                ],
                "description_limit": 1500,
                "image_size_limit": cfg.image_size_limit,
                "image_matrix_limit": 33177600,
                "video_size_limit": cfg.video_size_limit,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": "sandbox@example.invalid", "account": None},
        "rules": [],
    }
