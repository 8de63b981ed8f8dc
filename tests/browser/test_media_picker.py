"""Body images from the media library, and share links, in a real browser.

1. An editor opens a post, opens "Insert image from the library" (a modal dialog: focus in
   the search box, Escape closes it and gives focus back), searches, picks an image: its
   Markdown goes in at the cursor and the live preview shows it with its alt text and
   caption. Then the editor uploads a new image through the dialog, with its alt text, and
   it is inserted too. Saved and published, the public page shows both images.
2. An image dropped on the editor arrives without alt text: a note above the editor says so;
   its "Describe it" asks for the alt text, and the described image replaces the bare
   Markdown.
3. An editor creates a share link for a draft; a visitor without an account opens it and
   reads the draft, which the public address still hides.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from foundation.factories import image_bytes, image_file, make_post
from posts.models import Image, Post

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback restores what migrations
    # created (the groups) for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

IMAGE_LOADED = "img => img.complete && img.naturalWidth > 0"

DROP_FILE = """
async ([selector, base64, name]) => {
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  const file = new File([bytes], name, {type: "image/jpeg"});
  const data = new DataTransfer();
  data.items.add(file);
  const target = document.querySelector(selector);
  target.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
}
"""


def log_in(page, live_server, next_url, username="editor", password="editor-pass-123"):
    page.goto(f"{live_server.url}{reverse('admin:login')}?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def watch_for_errors(page, errors):
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )


def library_image(title, alt_text, caption="", credit="", seed=0):
    return Image.objects.create(
        file=image_file(
            f"{title.lower().replace(' ', '-')}.jpg", size=(800, 450), seed=seed, text=title
        ),
        title=title,
        alt_text=alt_text,
        caption=caption,
        credit=credit,
    )


def test_editor_inserts_a_library_image_and_uploads_another(
    live_server, editor, page, browser, screenshot, tmp_path
):
    errors = []
    watch_for_errors(page, errors)
    ceremony = library_image(
        "Signing ceremony",
        "Two people shake hands over a signed agreement",
        caption="The agreement is signed",
        credit="Foundation press office",
        seed=1,
    )
    for number in range(3):
        library_image(f"Lanterns {number}", "Red lanterns over a street", seed=number + 2)
    post = make_post(
        "Carsmos Signs Its Donation Agreement",
        status=Post.Status.DRAFT,
        body="First paragraph.\n\nLast paragraph.",
    )
    log_in(page, live_server, reverse("admin:posts_post_change", args=[post.pk]))

    body = page.locator("textarea.markdownx-editor")
    preview = page.locator(".markdownx-preview")
    opener = page.get_by_role("button", name="Insert image from the library")
    dialog = page.get_by_role("dialog", name="Insert an image")

    # Escape closes the dialog and gives the focus back to the button.
    opener.click()
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Search by title, alt text or caption")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # The cursor after "First paragraph."; search, pick.
    body.click()
    body.evaluate("el => el.setSelectionRange(16, 16)")
    opener.click()
    expect(dialog.locator(".image-picker-item")).to_have_count(4)
    expect(dialog).to_contain_text("800×450 px")
    page.get_by_label("Search by title, alt text or caption").fill("signing")
    expect(dialog.locator(".image-picker-item")).to_have_count(1)
    expect(dialog).to_contain_text("Two people shake hands over a signed agreement")
    screenshot("picker-search")
    dialog.get_by_role("button", name="Insert Signing ceremony").click()
    expect(dialog).to_be_hidden()
    expect(body).to_be_focused()
    expect(body).to_have_value(
        re.compile(
            r"^First paragraph\.\n\n<div align=\"center\"><img src=\"/media/library/.+"
            r"</center>\n\nLast paragraph\.$",
            re.S,
        )
    )
    figure_image = preview.get_by_alt_text("Two people shake hands over a signed agreement")
    expect(figure_image).to_have_attribute("src", ceremony.file.url)
    expect(preview.locator("figcaption")).to_have_text(
        "The agreement is signed Foundation press office"
    )
    page.wait_for_function(IMAGE_LOADED, arg=figure_image.element_handle())

    # Upload a new image through the dialog, at the end of the body.
    body.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    opener.click()
    dialog.get_by_text("Upload a new image").click()
    form = dialog.locator("form[data-picker-upload-form]")
    upload = tmp_path / "donors-on-stage.png"
    upload.write_bytes(image_bytes(size=(900, 500), fmt="PNG", text="Donors", seed=4))
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("Just some notes, not a picture.")
    form.get_by_label("File:").set_input_files(str(not_an_image))
    expect(form.get_by_label("Title:")).to_have_value("notes")  # from the file's name
    form.get_by_label("Alt text:").fill("Donors on the stage")
    form.get_by_role("button", name="Upload and insert").click()
    expect(form.get_by_role("alert")).to_contain_text("Upload a valid image")
    assert Image.objects.count() == 4  # nothing saved
    form.get_by_label("File:").set_input_files(str(upload))
    form.get_by_label("Title:").fill("Donors on stage")
    screenshot("picker-upload")
    form.get_by_role("button", name="Upload and insert").click()
    expect(dialog).to_be_hidden()
    uploaded = Image.objects.get(title="Donors on stage")
    assert uploaded.uploaded_by == editor and uploaded.alt_text == "Donors on the stage"
    expect(body).to_have_value(
        re.compile(
            rf"Last paragraph\.\n\n!\[Donors on the stage\]\({re.escape(uploaded.file.url)}\)"
        )
    )
    new_image = preview.get_by_alt_text("Donors on the stage")
    expect(new_image).to_have_attribute("src", uploaded.file.url)
    page.wait_for_function(IMAGE_LOADED, arg=new_image.element_handle())
    screenshot("preview-with-both")

    # Published and saved: the public page shows both images.
    page.select_option("#id_status", "published")
    page.fill("#id_summary", "The signing, in pictures.")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    post.refresh_from_db()
    assert post.is_published()

    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch_for_errors(visitor, errors)
    try:
        visitor.goto(f"{live_server.url}{post.get_absolute_url()}")
        for alt in ("Two people shake hands over a signed agreement", "Donors on the stage"):
            picture = visitor.locator("article").get_by_alt_text(alt)
            expect(picture).to_be_visible()
            picture.scroll_into_view_if_needed()
            visitor.wait_for_function(IMAGE_LOADED, arg=picture.element_handle())
        expect(visitor.locator("article figcaption")).to_contain_text("The agreement is signed")
        visitor.screenshot(path=screenshot.folder / "public-page.png", full_page=True)
    finally:
        visitor.context.close()
    assert not errors, errors


def test_a_dropped_image_is_flagged_then_described(live_server, editor, page, screenshot):
    import base64

    errors = []
    watch_for_errors(page, errors)
    post = make_post("Needs a picture", status=Post.Status.DRAFT, body="Text.")
    log_in(page, live_server, reverse("admin:posts_post_change", args=[post.pk]))
    body = page.locator("textarea.markdownx-editor")
    body.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")

    picture = base64.b64encode(image_bytes(size=(700, 400), seed=3)).decode()
    page.evaluate(DROP_FILE, ["textarea.markdownx-editor", picture, "hall.jpg"])
    image_code = re.compile(r"^Text\.!\[\]\(/media/posts/body/[\w-]+\.jpg\)$")
    expect(body).to_have_value(image_code)
    image = Image.objects.get()
    assert image.alt_text == "" and image.title == "hall"

    # A note above the editor, not a dialog in the middle of a sentence.
    note = page.get_by_role("status").filter(has_text="has no alt text yet")
    expect(note).to_contain_text("hall")
    dialog = page.get_by_role("dialog", name="Insert an image")
    expect(dialog).to_be_hidden()
    describe_it = note.get_by_role("button", name="Describe it")

    # "Not now" leaves the image as it is, and the focus where it was.
    describe_it.click()
    describe = dialog.locator("form[data-picker-describe-form]")
    expect(dialog.get_by_role("heading", name="Describe the image")).to_be_visible()
    expect(describe.get_by_label("Alt text:")).to_be_focused()
    describe.get_by_role("button", name="Not now").click()
    expect(dialog).to_be_hidden()
    expect(describe_it).to_be_focused()
    expect(body).to_have_value(image_code)

    describe_it.click()
    screenshot("describe-dropped")

    describe.get_by_label("Alt text:").fill("A packed conference hall")
    dialog.get_by_role("button", name="Save and insert").click()
    expect(dialog).to_be_hidden()
    expect(body).to_have_value(f"Text.![A packed conference hall]({image.file.url})")
    expect(note).to_have_count(0)
    expect(
        page.locator(".markdownx-preview").get_by_alt_text("A packed conference hall")
    ).to_be_visible()
    image.refresh_from_db()
    assert image.alt_text == "A packed conference hall"
    assert not errors, errors


def test_anonymous_reader_opens_a_draft_through_its_share_link(
    live_server, editor, page, browser, screenshot
):
    errors = []
    watch_for_errors(page, errors)
    post = make_post(
        "Draft: The Annual Report",
        status=Post.Status.DRAFT,
        body="Numbers **not yet public**.",
        publish_at=timezone.now(),
    )
    log_in(page, live_server, reverse("admin:posts_post_change", args=[post.pk]))
    expect(page.get_by_text("No active share links.")).to_be_visible()
    page.get_by_role("button", name="Create a share link").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Share link created")
    link = page.get_by_role("textbox", name="Share link", exact=True).input_value()
    assert link.startswith(live_server.url)
    screenshot("share-link-created")

    reader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch_for_errors(reader, errors)
    try:
        response = reader.goto(link)
        assert response.status == 200
        assert response.headers["x-robots-tag"] == "noindex"
        expect(reader.locator("h1")).to_have_text("Draft: The Annual Report")
        expect(reader.locator("article strong")).to_have_text("not yet public")
        robots = reader.locator("meta[name=robots]")
        expect(robots).to_have_attribute("content", re.compile("noindex"))
        reader.screenshot(path=screenshot.folder / "shared-draft.png", full_page=True)
        # The draft's own address still hides it from the same reader.
        assert reader.goto(f"{live_server.url}{post.get_absolute_url()}").status == 404
    finally:
        reader.context.close()
    assert not errors, errors
