"""Every emulated network, by name. Adding a network is one line here plus its package."""

from __future__ import annotations

from sandbox.common.network import Network
from sandbox.linkedin import LinkedInNetwork
from sandbox.mastodon import MastodonNetwork
from sandbox.x import XNetwork

NETWORKS: dict[str, Network] = {
    network.name: network
    for network in (
        XNetwork(),
        MastodonNetwork(),
        LinkedInNetwork(),
    )
}
