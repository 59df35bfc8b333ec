"""Media of posts: uploads checked to really be images, and each network's media rules per
channel, with the rule and the channel named."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor
from cuecast.channels.models import Channel
from cuecast.networks import registry
from cuecast.posts.errors import FieldError, ValidationFailed
from cuecast.posts.models import Media


def media_errors(channels: list[Channel], media: list[Media]) -> list[FieldError]:
    """Each network's own media rules, with the rule and the channel named."""
    errors = []
    for channel in channels:
        descriptor = registry.get(channel.network).descriptor
        rules, where = descriptor.media, "media_ids"
        names = {"network": descriptor.name, "channel": channel.display_name}
        if len(media) > rules.max_images:
            errors.append(
                FieldError(
                    where,
                    _("%(network)s takes at most %(max)s images per post (%(channel)s).")
                    % {**names, "max": rules.max_images},
                )
            )
        for item in media:
            if item.content_type not in rules.image_types:
                errors.append(
                    FieldError(
                        where,
                        _(
                            "%(network)s does not take %(type)s images (%(channel)s); use %(allowed)s."
                        )
                        % {
                            **names,
                            "type": item.content_type,
                            "allowed": ", ".join(sorted(rules.image_types)),
                        },
                    )
                )
            elif item.size_bytes > rules.max_image_bytes:
                errors.append(
                    FieldError(
                        where,
                        _("%(network)s takes images up to %(max)s MB (%(channel)s).")
                        % {**names, "max": round(rules.max_image_bytes / 1_048_576, 1)},
                    )
                )
            elif rules.aspect_ratio and item.width and item.height:
                low, high = rules.aspect_ratio
                if not low <= item.width / item.height <= high:
                    errors.append(
                        FieldError(
                            where,
                            _(
                                "%(network)s needs images between %(low)s:1 and %(high)s:1 (width to height); "
                                "this one is %(ratio)s:1 (%(channel)s)."
                            )
                            % {
                                **names,
                                "low": low,
                                "high": high,
                                "ratio": round(item.width / item.height, 2),
                            },
                        )
                    )
    return errors


# What every network accepts in common; each network's own media rules are checked per target.
UPLOAD_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_UPLOAD_BYTES = 8 * 1024 * 1024


def upload_media(actor: Actor, upload: UploadedFile[bytes], *, alt_text: str = "") -> Media:
    """Store an uploaded image for the workspace after checking it really is one."""
    from PIL import Image, UnidentifiedImageError

    actor.require(Action.COMPOSE)
    name = upload.name or "image"
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            [FieldError("image", _("“%(name)s” is larger than 8 MB.") % {"name": name})]
        )
    try:
        with Image.open(upload) as image:
            image.verify()
            kind, (width, height) = image.format or "", image.size
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationFailed(
            [
                FieldError(
                    "image", _("“%(name)s” is not an image Cuecast can read.") % {"name": name}
                )
            ]
        ) from None
    if kind not in UPLOAD_TYPES:
        raise ValidationFailed(
            [
                FieldError(
                    "image",
                    _("Use a JPEG, PNG, GIF or WebP image (“%(name)s” is %(kind)s).")
                    % {"name": name, "kind": kind},
                )
            ]
        )
    upload.seek(0)
    media = Media(
        workspace=actor.workspace,
        content_type=UPLOAD_TYPES[kind],
        size_bytes=upload.size or 0,
        width=width,
        height=height,
        alt_text=alt_text.strip()[:1500],
    )
    media.file.save(name, upload, save=True)
    return media
