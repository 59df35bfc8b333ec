"""What Cuecast knows about Facebook Pages as data: auth, scopes, limits, capabilities.

docs/networks/facebook.md has the sources and marks what could not be confirmed.
"""

from __future__ import annotations

from cuecast.networks.base import (
    AuthKind,
    Capabilities,
    Descriptor,
    Idempotency,
    MediaRules,
    TextCounting,
    TextLimit,
)
from cuecast.networks.facebook.limits import RATE_LIMITS
from cuecast.networks.facebook.metrics import METRICS

KEY = "facebook"

# pages_show_list lists the Pages (GET /me/accounts), pages_manage_posts creates and deletes posts,
# pages_read_engagement reads posts and their counts, read_insights reads post insights.
SCOPES = ("pages_show_list", "pages_read_engagement", "pages_manage_posts", "read_insights")

MAX_MESSAGE = 63_206  # the commonly cited limit of a Page post's message [unconfirmed]
MAX_PHOTOS = 10  # photos attached to one multi-photo post via attached_media [unconfirmed]
MAX_PHOTO_BYTES = 4 * 1024 * 1024  # photo upload size [unconfirmed]
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"})

DESCRIPTOR = Descriptor(
    key=KEY,
    name="Facebook",
    auth=AuthKind.OAUTH2,
    scopes=SCOPES,
    text=TextLimit(max_length=MAX_MESSAGE, counting=TextCounting.CODE_POINTS),
    media=MediaRules(
        max_images=MAX_PHOTOS,
        image_types=IMAGE_TYPES,
        max_image_bytes=MAX_PHOTO_BYTES,
    ),
    capabilities=Capabilities(
        threads=False,
        first_comment=False,
        idempotency=Idempotency.NONE,
        lookup=True,
        delete=True,
        metrics=True,
    ),
    docs_page="docs/networks/facebook.md",
    rate_limits=RATE_LIMITS,
    metrics=METRICS,
)
