"""What Cuecast knows about Bluesky as data: auth, limits, capabilities (docs/networks/bluesky.md)."""

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

# Write points per account and the PDS's per-IP limit are in limits.py (the rate budgets' data).
from cuecast.networks.bluesky.limits import RATE_LIMITS
from cuecast.networks.bluesky.metrics import METRICS

KEY = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"

# app.bsky.feed.post#main: text maxGraphemes 300, maxLength 3000 (UTF-8 bytes); langs <= 3.
MAX_GRAPHEMES = 300
MAX_TEXT_BYTES = 3000
# app.bsky.embed.images: images maxLength 4; #image.image is a blob, accept image/*, maxSize 1,000,000.
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
# The lexicon accepts any image/*; these are the types the Bluesky app itself uploads and renders.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# #image.alt is a plain string with no length limit in the lexicon; the Bluesky app caps alt
# text at 2,000 graphemes [unconfirmed in an official source; see the doc page].
MAX_ALT_TEXT = 2000

# createSession: 30 per 5 minutes and 300 per day per account, which is why sessions are kept
# and refreshed instead of logging in again.
CREATE_SESSION_PER_5_MIN = 30
CREATE_SESSION_PER_DAY = 300

DESCRIPTOR = Descriptor(
    key=KEY,
    name="Bluesky",
    auth=AuthKind.APP_PASSWORD,
    scopes=(),  # app passwords carry no OAuth scopes (the PDS marks them com.atproto.appPass)
    text=TextLimit(max_length=MAX_GRAPHEMES, counting=TextCounting.GRAPHEMES),
    media=MediaRules(
        max_images=MAX_IMAGES,
        image_types=IMAGE_TYPES,
        max_image_bytes=MAX_IMAGE_BYTES,
        max_alt_text=MAX_ALT_TEXT,
    ),
    capabilities=Capabilities(
        threads=True,  # reply refs {root, parent}
        first_comment=False,
        idempotency=Idempotency.RECORD_KEY,  # a client-chosen TID rkey per part
        lookup=True,  # getRecord by that rkey
        delete=True,
        metrics=True,
        needs_server_url=False,  # optional: defaults to bsky.social, a user may name their PDS
    ),
    docs_page="docs/networks/bluesky.md",
    rate_limits=RATE_LIMITS,
    metrics=METRICS,
    post_options=frozenset({PostOption.LANGUAGE}),  # app.bsky.feed.post#langs
)
