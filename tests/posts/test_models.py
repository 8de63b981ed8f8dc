from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from foundation.factories import image_file, make_post
from posts.models import Post

pytestmark = pytest.mark.django_db

NOW = timezone.now()


DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("status", "publish_at", "expire_at", "visible"),
    [
        (Post.Status.DRAFT, NOW - DAY, None, False),
        (Post.Status.DRAFT, NOW + DAY, None, False),
        (Post.Status.PUBLISHED, NOW - DAY, None, True),
        (Post.Status.PUBLISHED, NOW + DAY, None, False),
        # scheduled unpublish: visible until its expiry time, not after
        (Post.Status.PUBLISHED, NOW - DAY, NOW + DAY, True),
        (Post.Status.PUBLISHED, NOW - 2 * DAY, NOW - DAY, False),
        (Post.Status.PUBLISHED, NOW + DAY, NOW + 2 * DAY, False),
        (Post.Status.DRAFT, NOW - DAY, NOW + DAY, False),
        # the workflow's other states are never public, whatever the dates
        (Post.Status.IN_REVIEW, NOW - DAY, None, False),
        (Post.Status.UNPUBLISHED, NOW - DAY, None, False),
        (Post.Status.ARCHIVED, NOW - DAY, None, False),
    ],
)
def test_visibility_truth_table_queryset_and_instance_agree(status, publish_at, expire_at,
                                                            visible):
    post = make_post(status=status, publish_at=publish_at, expire_at=expire_at)
    assert post.is_published() is visible
    assert Post.objects.published().filter(pk=post.pk).exists() is visible


def test_scheduled_post_appears_at_its_time_without_any_process():
    post = make_post(publish_at=timezone.now() + timedelta(seconds=2))
    assert post.is_scheduled
    assert not Post.objects.published().filter(pk=post.pk).exists()
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert Post.objects.published().filter(pk=post.pk).exists()


def test_body_is_rendered_and_sanitised_on_save():
    post = make_post(body="Hello **world** <script>alert(1)</script>")
    assert "<strong>world</strong>" in post.body_html
    assert "<script" not in post.body_html
    assert post.excerpt.startswith("Hello world")


def test_summary_falls_back_to_the_body():
    post = make_post(body="First words of the story.")
    assert post.description == "First words of the story."
    post.summary = "An editor's summary."
    assert post.description == "An editor's summary."


def test_hero_image_requires_alt_text():
    post = Post(title="T", slug="t", body="b", hero_image=image_file("h.jpg"))
    with pytest.raises(ValidationError) as error:
        post.full_clean()
    assert "hero_image_alt" in error.value.message_dict


def test_hero_image_dimensions_are_recorded(media_root):
    post = make_post(hero=True)
    assert (post.hero_image_width, post.hero_image_height) == (1600, 900)
    assert (media_root / post.hero_image.name).exists()


def test_list_queryset_does_not_load_bodies():
    make_post()
    post = Post.objects.for_list().get()
    assert {"body", "body_html"} <= post.get_deferred_fields()
