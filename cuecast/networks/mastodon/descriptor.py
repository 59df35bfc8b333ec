"""What Cuecast knows about Mastodon as data. docs/networks/mastodon.md explains each value."""

from __future__ import annotations

from cuecast.networks.base import (
    AuthKind,
    Capabilities,
    Descriptor,
    Idempotency,
    MediaRules,
    PostOption,
    TextCounting,
    TextLimit,
)
from cuecast.networks.mastodon.limits import RATE_LIMITS
from cuecast.networks.mastodon.metrics import METRICS

KEY = "mastodon"

# The narrowest scopes that do the job (docs.joinmastodon.org/api/oauth-scopes/). `profile` (4.3+)
# only reads the signed-in account; older servers need `read:accounts` for the same call.
PROFILE_SCOPE = "profile"
LEGACY_PROFILE_SCOPE = "read:accounts"
SCOPES: tuple[str, ...] = ("read:statuses", "write:statuses", "write:media", PROFILE_SCOPE)
LEGACY_SCOPES: tuple[str, ...] = tuple(
    LEGACY_PROFILE_SCOPE if s == PROFILE_SCOPE else s for s in SCOPES
)

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_LENGTH = 23
DEFAULT_MAX_IMAGES = 4
DEFAULT_IMAGE_BYTES = 16 * 1024 * 1024  # MediaAttachment::IMAGE_LIMIT since 4.2
DEFAULT_IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif", "image/avif"}
)
DEFAULT_ALT_TEXT = 1500  # configuration.media_attachments.description_limit

DESCRIPTOR = Descriptor(
    key=KEY,
    name="Mastodon",
    auth=AuthKind.OAUTH2,
    scopes=SCOPES,
    text=TextLimit(
        max_length=DEFAULT_MAX_CHARACTERS,
        counting=TextCounting.MASTODON,
        url_length=DEFAULT_URL_LENGTH,
    ),
    media=MediaRules(
        max_images=DEFAULT_MAX_IMAGES,
        image_types=DEFAULT_IMAGE_TYPES,
        max_image_bytes=DEFAULT_IMAGE_BYTES,
        max_alt_text=DEFAULT_ALT_TEXT,
    ),
    capabilities=Capabilities(
        threads=True,  # a chain of replies (in_reply_to_id)
        first_comment=False,
        idempotency=Idempotency.KEY_HEADER,
        lookup=True,
        delete=True,
        metrics=True,
        needs_server_url=True,
    ),
    docs_page="docs/networks/mastodon.md",
    rate_limits=RATE_LIMITS,
    metrics=METRICS,
    # statuses.md: spoiler_text, visibility, language.
    post_options=frozenset(
        {PostOption.CONTENT_WARNING, PostOption.VISIBILITY, PostOption.LANGUAGE}
    ),
)
