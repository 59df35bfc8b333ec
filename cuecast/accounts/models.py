"""Users, workspaces, memberships with roles, API keys and the audit trail."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(zone)s” is not a time zone we know. Use a name like Europe/Berlin."),
            params={"zone": value},
        )


class User(AbstractUser):
    """A person who signs in. Their language choice follows them across workspaces."""

    language = models.CharField(
        max_length=8, default="en", choices=[("en", "English"), ("de", "Deutsch")]
    )


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    EDITOR = "editor", _("Editor")
    APPROVER = "approver", _("Approver")
    VIEWER = "viewer", _("Viewer")


class LatePolicy(models.TextChoices):
    """What happens to a held post whose time passed while it was held (docs/decisions/0008)."""

    PUBLISH_LATE = "publish_late", _("Publish it late, up to a limit")
    SKIP = "skip", _("Skip it")


# A week: later than that, a post is out of context whatever it says.
MAX_LATE_LIMIT_HOURS = 168


class Workspace(models.Model):
    """One client of an agency: its channels, campaigns and posts belong to it alone."""

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=200)
    timezone = models.CharField(
        max_length=64, default="Europe/Berlin", validators=[validate_timezone]
    )
    requires_approval = models.BooleanField(
        default=False,
        help_text=_("When on, posts by editors wait for an approver before they are scheduled."),
    )
    late_policy = models.CharField(
        max_length=16, choices=LatePolicy.choices, default=LatePolicy.PUBLISH_LATE
    )
    late_limit_hours = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LATE_LIMIT_HOURS)],
        help_text=_("With “publish late”: how many hours late a held post may still go out."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "workspace"], name="one_membership_per_workspace"
            )
        ]


class ApiKey(models.Model):
    """A workspace's key for the REST API. Only a SHA-256 of the secret is stored.

    The secret has 256 bits of entropy, so a fast hash is enough: nobody can guess their way back
    from it, and a slow hash would cost every API request.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    key_hash = models.CharField(max_length=64)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class AuditEvent(models.Model):
    """Who changed what, and when. Written by services for every change a person makes."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
