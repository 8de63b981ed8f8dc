"""An editor writes and publishes a post in a real browser; a visitor then finds it.

Drives the Django admin exactly as an editor does: logs in through the login form, types
the title (the slug fills itself in), writes Markdown and waits for markdownx's live
preview, drops a picture into the body, attaches a hero image with its alt text, publishes
and saves. Then an anonymous visitor opens /news/ and the post's page and sees the title,
the body and images that really load.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from foundation.factories import image_bytes, make_category
from posts.models import Post

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback restores what migrations
    # created (the Editors group) for the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Carsmos Joins the Foundation"
SLUG = "carsmos-joins-the-foundation"
BODY = """The signing ceremony took place **today** in Beijing.

| Project | Donor |
|---------|-------|
| Carsmos | Acme Robotics |

<script>alert("never runs")</script>
"""

DROP_FILE = """
async ([selector, base64, name]) => {
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  const file = new File([bytes], name, {type: "image/png"});
  const data = new DataTransfer();
  data.items.add(file);
  const target = document.querySelector(selector);
  target.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
}
"""

IMAGE_LOADED = "img => img.complete && img.naturalWidth > 0"


def test_editor_writes_and_publishes_a_post_that_visitors_see(
    live_server, editor, page, browser, screenshot, tmp_path
):
    import base64

    make_category("Announcements")
    hero_path = tmp_path / "ceremony.jpg"
    hero_path.write_bytes(image_bytes(size=(1600, 900), text="Signing ceremony"))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Log in through the admin's own form, on the way to "Add post".
    add_url = reverse("admin:posts_post_add")
    page.goto(f"{live_server.url}{reverse('admin:login')}?next={add_url}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    screenshot("login")
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(add_url) + "$"))

    # Typing the title fills in the slug.
    page.locator("#id_title").press_sequentially(TITLE)
    expect(page.locator("#id_slug")).to_have_value(SLUG)

    # Markdown in the editor; the live preview renders it with the site's renderer.
    editor_box = page.locator("textarea.markdownx-editor")
    preview = page.locator(".markdownx-preview")
    editor_box.fill(BODY)
    expect(preview.locator("strong")).to_have_text("today")
    expect(preview.locator("table td").first).to_have_text("Carsmos")
    assert "<script" not in preview.inner_html()

    # Drop a picture on the editor: it is uploaded and its Markdown inserted.
    picture = base64.b64encode(image_bytes(size=(800, 400), fmt="PNG", seed=2)).decode()
    page.evaluate(DROP_FILE, ["textarea.markdownx-editor", picture, "diagram.png"])
    expect(editor_box).to_have_value(re.compile(r"!\[\]\(/media/posts/body/[\w-]+\.png\)"))
    expect(preview.locator("img")).to_have_count(1)
    preview.locator("img").scroll_into_view_if_needed()
    page.wait_for_function(IMAGE_LOADED, arg=preview.locator("img").element_handle())
    screenshot("editor-with-preview")

    # Hero image with alt text, a category, published.
    page.set_input_files("#id_hero_image", str(hero_path))
    page.fill("#id_hero_image_alt", "Representatives signing the donation agreement")
    page.select_option("#id_categories_from", label="Announcements")
    page.click("#id_categories_add")
    page.select_option("#id_status", "published")
    screenshot("filled-in")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text(TITLE)
    screenshot("saved")

    post = Post.objects.get(slug=SLUG)
    assert post.author == editor and post.is_published()
    assert "<strong>today</strong>" in post.body_html and "<script" not in post.body_html

    # The changelist shows the hero thumbnail, loaded.
    thumbnail = page.locator(f"#result_list img[src='{post.hero_image.url}']")
    expect(thumbnail).to_have_count(1)
    page.wait_for_function(IMAGE_LOADED, arg=thumbnail.element_handle())

    # An anonymous visitor finds it on the news list …
    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    try:
        visitor.goto(f"{live_server.url}{reverse('posts:list')}")
        link = visitor.get_by_role("link", name=TITLE).first
        expect(link).to_be_visible()
        # The card shows a resized rendition of the hero image (posts/images.py).
        card = visitor.locator("article.post-card", has=visitor.get_by_role("link", name=TITLE))
        card_image = card.locator("img").first
        expect(card_image).to_have_attribute("src", re.compile(r"^/media/renditions/"))
        card_image.scroll_into_view_if_needed()
        visitor.wait_for_function(IMAGE_LOADED, arg=card_image.element_handle())
        visitor.screenshot(path=screenshot.folder / "05-public-list.png", full_page=True)

        # … and on its own page, with the hero image, the body and the dropped picture.
        link.click()
        expect(visitor).to_have_url(f"{live_server.url}{post.get_absolute_url()}")
        expect(visitor.locator("h1")).to_have_text(TITLE)
        hero = visitor.get_by_alt_text("Representatives signing the donation agreement")
        expect(hero).to_have_attribute("srcset", re.compile(r"/media/renditions/.+ 800w"))
        visitor.wait_for_function(IMAGE_LOADED, arg=hero.element_handle())
        expect(visitor.locator("article strong", has_text="today")).to_be_visible()
        expect(visitor.locator("article table")).to_be_visible()
        body_image = visitor.locator("article img").last  # the picture dropped into the body
        expect(body_image).to_have_attribute("src", re.compile(r"^/media/"))
        body_image.scroll_into_view_if_needed()
        visitor.wait_for_function(IMAGE_LOADED, arg=body_image.element_handle())
        visitor.screenshot(path=screenshot.folder / "06-public-detail.png", full_page=True)
    finally:
        visitor.context.close()

    assert not errors, errors
