"""What Instagram (content publishing for professional accounts, Facebook Login) is, as data.

Sources are listed in docs/networks/instagram.md.
"""

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
from cuecast.networks.instagram.limits import RATE_LIMITS
from cuecast.networks.instagram.metrics import METRICS

# Facebook Login permissions for the Instagram API with Facebook Login (content publishing guide,
# IG User Media / Content Publishing Limit / Media Insights references).
SCOPES: tuple[str, ...] = (
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
)

CAPTION_LIMIT = 2200  # characters (IG User Media reference: caption)
CAROUSEL_MAX = 10  # children of one carousel container
IMAGE_MAX_BYTES = 8 * 1024 * 1024  # error 2207004: "It should be less than 8 MiB."

DESCRIPTOR = Descriptor(
    key="instagram",
    name="Instagram",
    auth=AuthKind.OAUTH2,
    scopes=SCOPES,
    text=TextLimit(max_length=CAPTION_LIMIT, counting=TextCounting.CODE_POINTS),
    media=MediaRules(
        max_images=CAROUSEL_MAX,
        image_types=frozenset({"image/jpeg"}),  # IG User Media reference: JPEG only
        max_image_bytes=IMAGE_MAX_BYTES,
        max_alt_text=1000,
        min_media=1,  # Instagram has no text-only posts
        # Content publishing image specifications: 4:5 to 1.91:1.
        aspect_ratio=(0.8, 1.91),
    ),
    capabilities=Capabilities(
        threads=False,
        first_comment=False,  # possible later (POST /{ig-media-id}/comments); not built
        idempotency=Idempotency.CONTAINER,
        lookup=True,
        delete=False,  # the Instagram API does not delete published media
        metrics=True,
    ),
    docs_page="docs/networks/instagram.md",
    rate_limits=RATE_LIMITS,
    metrics=METRICS,
    # A long-lived token cannot be exchanged once expired: renew well ahead.
    refresh_ahead=timedelta(days=7),
)

NEEDS_MEDIA_MESSAGE = "Instagram needs at least one image or video."
