"""What Cuecast knows about LinkedIn as data: auth, scopes, limits, capabilities.

docs/networks/linkedin.md explains each value and where it was confirmed.
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
from cuecast.networks.linkedin.limits import RATE_LIMITS
from cuecast.networks.linkedin.metrics import METRICS

KEY = "linkedin"

# openid + profile: who signed in (GET /v2/userinfo). w_member_social: post as the member.
# w_organization_social: post as a page the member administers; r_organization_social: read the
# page's posts (reconciliation); rw_organization_admin: list the pages the member administers
# (organizationAcls) and read their share statistics. Community Management API scopes are
# granted only to apps LinkedIn has approved for that product.
SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "w_member_social",
    "w_organization_social",
    "r_organization_social",
    "rw_organization_admin",
)

MAX_COMMENTARY = 3000  # counted on the escaped "little" text that is sent (counting.py)
MAX_IMAGES = 20  # content.multiImage takes 2 to 20 images; one image goes in content.media
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # [unconfirmed] not on learn.microsoft.com; widely reported
MAX_ALT_TEXT = 4086  # [unconfirmed] Posts API media altText

DESCRIPTOR = Descriptor(
    key=KEY,
    name="LinkedIn",
    auth=AuthKind.OAUTH2,
    scopes=SCOPES,
    text=TextLimit(max_length=MAX_COMMENTARY, counting=TextCounting.CODE_POINTS),
    media=MediaRules(
        max_images=MAX_IMAGES,
        image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
        max_image_bytes=MAX_IMAGE_BYTES,
        max_alt_text=MAX_ALT_TEXT,
    ),
    capabilities=Capabilities(
        threads=False,  # LinkedIn has no threads; a multi-part post is refused by name
        first_comment=False,
        idempotency=Idempotency.NONE,  # reconcile by the author's posts and DUPLICATE_POST
        lookup=True,
        delete=True,
        metrics=True,  # organization posts only; member posts report none (see client.py)
    ),
    docs_page="docs/networks/linkedin.md",
    rate_limits=RATE_LIMITS,
    metrics=METRICS,
)
