"""What Cuecast knows about Threads as data: auth, scopes, limits, capabilities (docs/networks/threads.md)."""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import (
    AuthKind,
    Capabilities,
    Descriptor,
    Idempotency,
    MediaRules,
    TextCounting,
    TextLimit,
)
from cuecast.networks.threads.limits import RATE_LIMITS
from cuecast.networks.threads.metrics import METRICS

KEY = "threads"
API_VERSION = "v1.0"

# developers.facebook.com/docs/threads/get-started (permissions), .../posts/delete-posts,
# .../retrieve-and-manage-replies, .../insights:
# threads_basic                every endpoint; reads the profile and the account's own posts
# threads_content_publish      containers and threads_publish
# threads_manage_replies       POSTing replies (the later parts of a thread) and reading the
#                              reply quota on threads_publishing_limit
# threads_read_replies         reading the account's replies (reconciling the later parts)
# threads_manage_insights      GET /{media}/insights
# threads_delete               DELETE /{media}
SCOPES: tuple[str, ...] = (
    "threads_basic",
    "threads_content_publish",
    "threads_manage_replies",
    "threads_read_replies",
    "threads_manage_insights",
    "threads_delete",
)

MAX_CHARACTERS = 500  # docs: "Text posts are limited to 500 characters"
MAX_LINKS = 5  # docs (text attachments): more than 5 links fail at container creation
MAX_CAROUSEL_ITEMS = 20  # [unconfirmed in Meta's pages read here: third parties say 20]
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})  # [unconfirmed: media specifications]
MAX_IMAGE_BYTES = 8 * 1024 * 1024  # [unconfirmed: media specifications]
MAX_ALT_TEXT = 1000  # [unconfirmed]

DESCRIPTOR = Descriptor(
    key=KEY,
    name="Threads",
    auth=AuthKind.OAUTH2,
    scopes=SCOPES,
    text=TextLimit(max_length=MAX_CHARACTERS, counting=TextCounting.UTF8_BYTES_FOR_EMOJI),
    media=MediaRules(
        max_images=MAX_CAROUSEL_ITEMS,
        image_types=IMAGE_TYPES,
        max_image_bytes=MAX_IMAGE_BYTES,
        max_alt_text=MAX_ALT_TEXT,
    ),
    capabilities=Capabilities(
        threads=True,  # a chain of replies (reply_to_id = the previous part's media id)
        first_comment=False,
        idempotency=Idempotency.CONTAINER,
        lookup=True,
        delete=True,
        metrics=True,
    ),
    # Threads refreshes a long-lived token only while it is unexpired: renew well ahead.
    refresh_ahead=timedelta(days=7),
    docs_page="docs/networks/threads.md",
    rate_limits=RATE_LIMITS,
    metrics=METRICS,
)
