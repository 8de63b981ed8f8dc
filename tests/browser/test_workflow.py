"""The editorial workflow and the body's local copy, in a real browser.

1. An author writes a post and submits it for review; an editor sends it back with a
   comment; the author reads the comment, fixes the post and submits it again; the editor
   schedules it an hour ahead. A visitor does not see it; at its time (the server's clock
   travels there: the live server runs in a thread of this process, so time_machine moves
   its clock too) it is on the news list and its page shows the fixed text.
2. An editor types in the body and closes the tab without saving; opening the form again
   offers "Restore unsaved text from …", and Restore brings the text back.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from foundation.factories import make_post
from posts.models import Post

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback restores what migrations
    # created (the groups) for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Carsmos Signs Its Donation Agreement"
COMMENT = "Please name the donor in the first paragraph."


def log_in(page, live_server, username, password, next_url):
    page.goto(f"{live_server.url}{reverse('admin:login')}?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def watch_for_errors(page, errors):
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text)
        if message.type == "error" and "Content Security Policy" in message.text
        else None,
    )


def test_author_review_send_back_fix_schedule_and_publish(
    live_server, author, editor, browser, screenshot
):
    errors = []
    author_page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    editor_page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    for page in (author_page, editor_page):
        page.set_default_timeout(15_000)
        watch_for_errors(page, errors)

    # The author writes the post and submits it for review.
    log_in(author_page, live_server, "author", "author-pass-123", reverse("admin:posts_post_add"))
    status_options = author_page.locator("#id_status option")
    expect(status_options).to_have_text(["Draft", "In review"])  # no way to publish
    author_page.locator("#id_title").press_sequentially(TITLE)
    author_page.locator("textarea.markdownx-editor").fill("The agreement was signed **today**.")
    expect(author_page.locator("button[value=publish]")).to_have_count(0)
    author_page.get_by_role("button", name="Submit for review").click()
    expect(author_page.locator(".messagelist .success").first).to_contain_text(
        "Submitted for review."
    )
    post = Post.objects.get()
    assert post.status == Post.Status.IN_REVIEW and post.created_by == author
    change_url = reverse("admin:posts_post_change", args=[post.pk])

    # The editor sends it back with a comment.
    log_in(editor_page, live_server, "editor", "editor-pass-123", change_url)
    expect(editor_page.locator(".workflow-panel__status")).to_contain_text("In review")
    editor_page.fill("#id_transition_comment", COMMENT)
    editor_page.get_by_role("button", name="Send back with comment").click()
    expect(editor_page.locator(".messagelist .success").first).to_contain_text(
        "Sent back to the author."
    )
    assert Post.objects.get().status == Post.Status.DRAFT

    # The author sees the comment on the post, fixes it and submits it again.
    author_page.goto(f"{live_server.url}{change_url}")
    expect(author_page.locator(".workflow-notes")).to_contain_text(COMMENT)
    author_page.screenshot(path=screenshot.folder / "01-author-reads-the-comment.png",
                           full_page=True)
    body = author_page.locator("textarea.markdownx-editor")
    body.fill("Acme Robotics, the donor, signed the agreement **today**.")
    author_page.get_by_role("button", name="Submit for review").click()
    expect(author_page.locator(".messagelist .success").first).to_contain_text(
        "Submitted for review."
    )

    # The editor schedules it an hour ahead: a publish time in the future, then Publish.
    go_live = timezone.localtime(timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    editor_page.goto(f"{live_server.url}{change_url}")
    editor_page.fill("#id_publish_at_0", go_live.strftime("%Y-%m-%d"))
    editor_page.fill("#id_publish_at_1", go_live.strftime("%H:%M:%S"))
    editor_page.screenshot(path=screenshot.folder / "02-editor-schedules.png", full_page=True)
    editor_page.get_by_role("button", name="Publish", exact=True).click()
    expect(editor_page.locator(".messagelist .success").first).to_contain_text("Published.")
    post = Post.objects.get()
    assert post.status == Post.Status.PUBLISHED and post.is_scheduled

    # A visitor: not there yet …
    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch_for_errors(visitor, errors)
    try:
        visitor.goto(f"{live_server.url}{reverse('posts:list')}")
        expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
        response = visitor.goto(f"{live_server.url}{post.get_absolute_url()}")
        assert response.status == 404

        # … and there at its time, with no process having run in between.
        with time_machine.travel(go_live + timedelta(seconds=1), tick=True):
            visitor.goto(f"{live_server.url}{reverse('posts:list')}")
            link = visitor.get_by_role("link", name=TITLE).first
            expect(link).to_be_visible()
            link.click()
            expect(visitor.locator("h1")).to_have_text(TITLE)
            expect(visitor.locator("article")).to_contain_text("Acme Robotics, the donor")
            visitor.screenshot(path=screenshot.folder / "03-public.png", full_page=True)
    finally:
        visitor.context.close()

    # The whole round trip is on the post's history page.
    editor_page.goto(f"{live_server.url}{reverse('admin:posts_post_history', args=[post.pk])}")
    workflow = editor_page.locator("#workflow-history tbody tr")
    expect(workflow).to_have_count(4)
    expect(editor_page.locator("#workflow-history")).to_contain_text(COMMENT)
    editor_page.screenshot(path=screenshot.folder / "04-history.png", full_page=True)
    author_page.context.close()
    editor_page.context.close()
    assert not errors, errors


def test_unsaved_body_is_offered_back_after_closing_the_tab(
    live_server, editor, browser, screenshot
):
    post = make_post("Board meeting", body="The board met in June.")
    change_url = reverse("admin:posts_post_change", args=[post.pk])
    errors = []
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch_for_errors(page, errors)
    log_in(page, live_server, "editor", "editor-pass-123", change_url)

    # Nothing stored yet: no prompt.
    expect(page.locator(".local-draft-notice")).to_have_count(0)
    body = page.locator("textarea.markdownx-editor")
    body.press("Control+End")
    body.press_sequentially(" It approved two new projects.", delay=5)
    typed = body.input_value()
    assert typed.endswith("It approved two new projects.")
    page.close()  # closed without saving

    page = context.new_page()
    watch_for_errors(page, errors)
    page.goto(f"{live_server.url}{change_url}")
    body = page.locator("textarea.markdownx-editor")
    expect(body).to_have_value("The board met in June.")
    notice = page.locator(".local-draft-notice")
    expect(notice).to_contain_text("Restore unsaved text from")
    page.screenshot(path=screenshot.folder / "01-restore-prompt.png", full_page=True)
    notice.get_by_role("button", name="Restore").click()
    expect(body).to_have_value(typed)
    expect(notice).to_have_count(0)
    expect(page.locator(".markdownx-preview")).to_contain_text("approved two new projects")

    # Saving keeps the text and forgets the local copy: no prompt next time.
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success").first).to_be_visible()
    assert Post.objects.get().body == typed
    page.reload()
    expect(page.locator("textarea.markdownx-editor")).to_have_value(typed)
    expect(page.locator(".local-draft-notice")).to_have_count(0)
    stored = page.evaluate("() => Object.keys(localStorage)")
    assert not [key for key in stored if key.endswith(f":{post.pk}")], stored

    # Discard drops a copy for good.
    page.locator("textarea.markdownx-editor").press("Control+End")
    page.locator("textarea.markdownx-editor").press_sequentially(" Draft note.", delay=5)
    page.reload()
    expect(page.locator("textarea.markdownx-editor")).to_have_value(typed)
    page.locator(".local-draft-notice").get_by_role("button", name="Discard").click()
    page.reload()
    expect(page.locator(".local-draft-notice")).to_have_count(0)
    context.close()
    assert not errors, errors
