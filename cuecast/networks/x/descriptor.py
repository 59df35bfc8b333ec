"""What Cuecast knows about X as data: auth, scopes, limits, capabilities (docs/networks/x.md)."""

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
from cuecast.networks.x.limits import RATE_LIMITS
from cuecast.networks.x.metrics import METRICS

# tweet.read + users.read are needed by every v2 user-context call, tweet.write creates and deletes,
# offline.access is what makes X issue a refresh token, media.write covers the v2 media upload.
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write")

DESCRIPTOR = Descriptor(
    key="x",
    name="X",
    auth=AuthKind.OAUTH2_PKCE,
    scopes=SCOPES,
    text=TextLimit(max_length=280, counting=TextCounting.X_WEIGHTED, url_length=23),
    media=MediaRules(
        max_images=4,
        image_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
        max_image_bytes=5 * 1024 * 1024,
        max_alt_text=1000,  # x-openapi.json: CreateMediaMetadataMetadataAltText.text maxLength
    ),
    capabilities=Capabilities(
        threads=True,
        first_comment=False,
        idempotency=Idempotency.NONE,
        lookup=True,
        delete=True,
        metrics=True,
    ),
    docs_page="docs/networks/x.md",
    rate_limits=RATE_LIMITS,
    metrics=METRICS,
)
