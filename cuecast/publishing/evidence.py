"""What a person needs to settle a target Cuecast could not confirm: every attempt, what was
looked up and where, and where to look themselves.

The look-up is described from the network's descriptor (its idempotency and look-up
capabilities) and what the connector recorded before its calls (`Target.progress`: container
ids, record keys, a duplicate hint), so the sentences follow the registry, not a list of names.
Two things the descriptor does not carry are kept in small tables here, one line per network:
where an account's profile is on the web, and how a post's link names its id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from cuecast import config
from cuecast.channels.models import Channel
from cuecast.networks import errors, registry
from cuecast.networks.base import Descriptor, Idempotency
from cuecast.posts.models import Target
from cuecast.publishing.holds import local_time
from cuecast.publishing.models import AttemptKind, PublishAttempt


@dataclass(frozen=True)
class Evidence:
    target: Target
    network_name: str
    attempts: list[PublishAttempt]
    lookups: list[str]  # sentences: what was looked up, and where
    profile_url: str  # the channel's profile on the network; "" when it has none we know


def gather(target: Target) -> Evidence:
    """The evidence for one target (its channel and workspace loaded with it, ideally)."""
    descriptor = registry.get(target.channel.network).descriptor
    attempts = list(PublishAttempt.objects.filter(target=target).order_by("started_at", "id"))
    return Evidence(
        target=target,
        network_name=descriptor.name,
        attempts=attempts,
        lookups=lookup_sentences(target, descriptor, attempts),
        profile_url=profile_url(target.channel),
    )


# --- what was looked up -------------------------------------------------------------------------


def _unknown_since(attempts: list[PublishAttempt]) -> datetime | None:
    """When the publish attempt whose outcome is unknown began: look-ups search from there."""
    publishes = [a for a in attempts if a.kind == AttemptKind.PUBLISH]
    return publishes[-1].started_at if publishes else None


def _recorded(progress: dict[str, object], key: str) -> list[str]:
    value = progress.get(key)
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v]
    if isinstance(value, dict):
        return [str(v) for _k, v in sorted(value.items()) if v]
    return []


def lookup_sentences(
    target: Target, descriptor: Descriptor, attempts: list[PublishAttempt]
) -> list[str]:
    caps, name = descriptor.capabilities, descriptor.name
    if not caps.lookup:
        return [
            _("%(network)s offers no way to look a post up: Cuecast could not check.")
            % {"network": name}
        ]
    since = _unknown_since(attempts)
    where = {
        "network": name,
        "account": target.channel.handle or target.channel.display_name,
        "since": local_time(since, target.channel.workspace) if since else _("its first attempt"),
    }
    timeline = (
        _(
            "Looked for a post with this text on %(account)s's timeline on %(network)s, "
            "since %(since)s."
        )
        % where
    )
    sentences = [_idempotency_sentence(target, caps.idempotency, where)]
    if caps.idempotency in (Idempotency.NONE, Idempotency.KEY_HEADER):
        sentences.append(timeline)
    sentences += _duplicate_hints(target, attempts, name)
    return [s for s in sentences if s]


def _idempotency_sentence(target: Target, kind: Idempotency, where: dict[str, str]) -> str:
    progress = dict(target.progress)
    if kind == Idempotency.KEY_HEADER:
        return _(
            "Every attempt carried an idempotency key made from %(key)s: within an hour, "
            "%(network)s creates at most one post for it."
        ) % {**where, "key": target.idempotency_key}
    if kind == Idempotency.CONTAINER:
        containers = _recorded(progress, "container_id") + _recorded(progress, "containers")
        if not containers:
            return _("No container was recorded on %(network)s before the call.") % where
        return _(
            "Asked %(network)s for the state of container %(ids)s (recorded before "
            "publishing; a container is published at most once), then looked for the post "
            "on %(account)s since %(since)s."
        ) % {**where, "ids": ", ".join(containers)}
    if kind == Idempotency.RECORD_KEY:
        keys = _recorded(progress, "rkeys")
        if not keys:
            return _("No record key was recorded on %(network)s before the call.") % where
        return _(
            "Read back record key %(keys)s, chosen before sending, from %(account)s's "
            "repository on %(network)s."
        ) % {**where, "keys": ", ".join(keys)}
    return _("%(network)s has no idempotency key: a repeat would be a second post.") % where


def _duplicate_hints(target: Target, attempts: list[PublishAttempt], network: str) -> list[str]:
    hints = []
    for existing in _recorded(dict(target.progress), "duplicate_of"):
        hints.append(
            _("%(network)s refused a repeat as a duplicate of %(id)s.")
            % {"network": network, "id": existing}
        )
    if any(a.error_kind == errors.Duplicate.kind for a in attempts) and not hints:
        hints.append(
            _("%(network)s answered that this text duplicates an earlier post.")
            % {"network": network}
        )
    return hints


# --- where to look, and what a link names -------------------------------------------------------


def _username(channel: Channel) -> str:
    return channel.handle.lstrip("@").split("@")[0]


def _linkedin_profile(channel: Channel, web: str) -> str:
    organization = re.fullmatch(r"urn:li:organization:(\d+)", channel.external_id)
    if organization:
        return f"{web}/company/{organization.group(1)}/"
    return f"{web}/in/{_username(channel)}/" if channel.handle else ""


def profile_url(channel: Channel) -> str:
    settings = config.load()
    profiles: dict[str, Callable[[Channel], str]] = {
        "x": lambda c: f"{settings.x_web_url}/{_username(c)}",
        "mastodon": lambda c: f"{c.base_url.rstrip('/')}/@{_username(c)}" if c.base_url else "",
        "linkedin": lambda c: _linkedin_profile(c, settings.linkedin_web_url.rstrip("/")),
        "facebook": lambda c: f"{settings.facebook_web_url.rstrip('/')}/{c.external_id}",
        "instagram": lambda c: f"https://www.instagram.com/{_username(c)}/",
        "bluesky": lambda c: f"{settings.bluesky_web_url}/profile/{_username(c) or c.external_id}",
        "threads": lambda c: f"https://www.threads.net/@{_username(c)}",
    }
    make = profiles.get(channel.network)
    return make(channel) if make else ""


# A post's id in its link, per network; Instagram and Threads links carry a short code instead.
_ID_IN_LINK: dict[str, re.Pattern[str]] = {
    "x": re.compile(r"/status(?:es)?/(\d+)"),
    "mastodon": re.compile(r"/(?:@[^/]+|statuses)/(\d+)/?$"),
    "linkedin": re.compile(r"/feed/update/(urn:li:(?:share|ugcPost):\d+)"),
    "facebook": re.compile(r"/(\d+_\d+)/?$"),
    "bluesky": re.compile(r"/profile/[^/]+/post/([a-z2-7]{13})/?$"),
}


def is_web_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def external_id_from_link(channel: Channel, url: str) -> str:
    """The post's id on the network when its link names it, else ""."""
    pattern = _ID_IN_LINK.get(channel.network)
    found = pattern.search(urlsplit(url).path) if pattern else None
    if found is None:
        return ""
    if channel.network == "bluesky":  # a record's id is its AT URI; the link names only the rkey
        if not channel.external_id.startswith("did:"):
            return ""
        return f"at://{channel.external_id}/app.bsky.feed.post/{found.group(1)}"
    return found.group(1)
