"""Pre-publish checks: warnings on the post's change page, never a refusal to save."""

import pytest
from django.urls import reverse

from foundation.factories import image_file, make_category, make_post
from posts.models import Post, Redirect
from posts.prepublish import HERO_DISPLAY_WIDTH
from tests.posts.test_workflow import submit_change_form

pytestmark = pytest.mark.django_db


def good_post(**fields):
    fields.setdefault("summary", "Carsmos signs its donation agreement.")
    fields.setdefault("body", "Signed today.")
    return make_post("Carsmos signs", hero=True, **fields)


def test_a_good_post_has_no_warnings():
    category = make_category("基金会", slug="基金会")
    target = make_post("Earlier news", slug="earlier-news")
    post = good_post(
        body=f"See [earlier]({target.get_absolute_url()}), [the category](/news/category/"
        f"%E5%9F%BA%E9%87%91%E4%BC%9A/), [news](/news/), [home](/) and "
        f"[elsewhere](https://example.com/x) and [top](#top).",
    )
    assert category.get_absolute_url()
    assert post.prepublish_warnings() == []


def test_each_problem_gives_a_warning():
    make_post("Draft target", slug="draft-target", status=Post.Status.DRAFT)
    post = make_post(
        "A" * 71,
        summary="",
        body="![](/media/a.jpg)\n\n[gone](/news/no-such-post/) [draft](/news/draft-target/) "
        "[nowhere](/no/such/page/) [file](/media/missing.pdf) "
        "[absolute](http://127.0.0.1:8000/news/also-gone/)",
    )
    post.hero_image = image_file("small.jpg", size=(800, 450))
    post.hero_image_alt = "Small"
    post.save()
    warnings = post.prepublish_warnings()
    text = "\n".join(warnings)
    assert "alt text" in text and "/media/a.jpg" in text
    assert "800 px" in text and str(HERO_DISPLAY_WIDTH) in text
    assert "summary is empty" in text
    assert "/news/no-such-post/: no such post" in text
    assert "/news/draft-target/: that post is not published" in text
    assert "/no/such/page/: no such page" in text
    assert "/media/missing.pdf: no such uploaded file" in text
    assert "/news/also-gone/: no such post" in text
    assert "71 characters" in text
    assert len(warnings) == 9


def test_a_redirected_old_address_is_not_a_broken_link():
    Redirect.objects.record("/2019/old-post/", "/news/")
    post = good_post(body="[old](/2019/old-post/)")
    assert post.prepublish_warnings() == []


def test_post_slugs_are_checked_in_one_query(django_assert_num_queries):
    posts = [make_post(f"Target {n}", slug=f"target-{n}") for n in range(5)]
    links = " ".join(f"[t]({post.get_absolute_url()})" for post in posts)
    post = good_post(body=links)
    with django_assert_num_queries(1):
        assert post.prepublish_warnings() == []


def test_change_page_shows_the_warnings_and_saving_still_works(client, editor):
    post = make_post("Short", summary="", body="[gone](/news/no-such-post/)")
    client.force_login(editor)
    page = client.get(reverse("admin:posts_post_change", args=[post.pk])).content.decode()
    assert "Before publishing" in page
    assert "summary is empty" in page and "/news/no-such-post/: no such post" in page
    response = submit_change_form(client, post, title="Still short")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.title == "Still short"


def test_change_page_of_a_good_post_says_so(client, editor):
    post = good_post()
    client.force_login(editor)
    page = client.get(reverse("admin:posts_post_change", args=[post.pk])).content.decode()
    assert "Nothing to fix" in page
