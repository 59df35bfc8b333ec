"""Every emulated network, by name. Adding a network is one line here plus its package."""

from __future__ import annotations

from sandbox.bluesky import BlueskyNetwork
from sandbox.common.network import Network
from sandbox.facebook import FacebookNetwork
from sandbox.googleads import GoogleAdsNetwork
from sandbox.instagram import InstagramNetwork
from sandbox.linkedin import LinkedInNetwork
from sandbox.mastodon import MastodonNetwork
from sandbox.msads import MsadsNetwork
from sandbox.threads import ThreadsNetwork
from sandbox.x import XNetwork

NETWORKS: dict[str, Network] = {
    network.name: network
    for network in (
        XNetwork(),
        MastodonNetwork(),
        FacebookNetwork(),
        InstagramNetwork(),
        ThreadsNetwork(),
        BlueskyNetwork(),
        LinkedInNetwork(),
        GoogleAdsNetwork(),
        MsadsNetwork(),
    )
}
