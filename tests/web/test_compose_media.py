"""Attaching an image in the composer: stored with the post, or not at all."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from cuecast.posts.models import Media, Post
from tests.web.test_compose import _future_local, _post

pytestmark = pytest.mark.django_db


def png(width: int = 3, height: int = 2) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_an_image_is_stored_with_its_post(signed_in: Client, x_channel: Any) -> None:
    response = _post(
        signed_in,
        text="With a picture",
        channels=[x_channel.pk],
        local_at=_future_local(),
        image=png(),
        alt_text="A teal rectangle",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get()
    [media] = [pm.media for pm in post.post_media.all()]
    assert (media.content_type, media.width, media.height, media.alt_text) == (
        "image/png",
        3,
        2,
        "A teal rectangle",
    )
    assert media.file.name.startswith("uploads/") and media.file.storage.exists(media.file.name)


def test_a_file_that_is_not_an_image_is_refused_by_name(signed_in: Client, x_channel: Any) -> None:
    fake = SimpleUploadedFile("notes.png", b"not really a picture", content_type="image/png")
    response = _post(
        signed_in, text="x", channels=[x_channel.pk], local_at=_future_local(), image=fake
    )
    assert response.status_code == 200
    assert "“notes.png” is not an image Cuecast can read." in response.content.decode()
    assert not Post.objects.exists() and not Media.objects.exists()


def test_a_post_that_fails_leaves_no_image_behind(signed_in: Client, x_channel: Any) -> None:
    response = _post(
        signed_in, text="a" * 281, channels=[x_channel.pk], local_at=_future_local(), image=png()
    )
    assert response.status_code == 200 and "Too long" in response.content.decode()
    assert not Media.objects.exists()
    import os

    from django.conf import settings

    uploads = settings.MEDIA_ROOT / "uploads"
    before = set(os.listdir(uploads)) if uploads.exists() else set()
    _post(signed_in, text="a" * 281, channels=[x_channel.pk], local_at=_future_local(), image=png())
    after = set(os.listdir(uploads)) if uploads.exists() else set()
    assert after == before  # the stored file was removed with the rolled-back row
