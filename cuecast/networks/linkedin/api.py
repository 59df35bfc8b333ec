"""What every LinkedIn REST call carries: the version and protocol headers, encoded URNs.

learn.microsoft.com/linkedin/marketing/versioning: every call under `/rest/` must send
`LinkedIn-Version: YYYYMM`; LinkedIn does not default to the latest. Versions are released monthly
and each is supported for at least one year, then sunset: a sunset version is refused (426), and
the call fails until the version here is moved forward. Moving it is a code change, checked
against the migration guides for the endpoints used here (posts, images, organizationAcls,
organizations, organizationalEntityShareStatistics). Rest.li protocol 2.0.0 is required too.
"""

from __future__ import annotations

from urllib.parse import quote

# August 2026 (li-lms-2026-08). Supported until at least August 2027; move it before then.
API_VERSION = "202608"
RESTLI_PROTOCOL = "2.0.0"


def rest_headers(access_token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {access_token}",
        "LinkedIn-Version": API_VERSION,
        "X-Restli-Protocol-Version": RESTLI_PROTOCOL,
    }


def encode_urn(urn: str) -> str:
    """A URN as one path segment or query value: every reserved character percent-encoded."""
    return quote(urn, safe="")
