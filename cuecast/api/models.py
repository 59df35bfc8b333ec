"""Rows the API keeps for itself: remembered answers to requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.db import models

from cuecast.accounts.models import ApiKey


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed for every repeat.

    The unique constraint on (api_key, key) is what makes a repeat race-safe: the row is inserted
    in the same transaction as the work it guards, so two concurrent requests with one key cannot
    both do the work; the second waits for the first and then replays its answer.
    """

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="idempotent_requests"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and the canonical JSON body: a repeat must be the same request.
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    response_content_type = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"], name="one_request_per_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
