"""Playwright driving Debian's chromium against pytest-django's live server.

Run just these with ``pytest -m browser``; they are skipped, saying why, on a machine
without /usr/bin/chromium (``.ci/run`` installs it). Screenshots of the key steps go to
``test-artifacts/`` (git-ignored) for a human to look at.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser(transactional_db):
    """A headless chromium, started after the test database is ready.

    Playwright's sync API keeps an asyncio event loop running in this thread while it is
    open. Django then refuses ORM calls unless told the mix is deliberate, and hands out
    database connections of their own to code running under that loop; those are closed
    here before the loop ends. Started after ``transactional_db`` so that the database
    is set up (and restored) through the test's ordinary connection.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        )
    from django.db import connections
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """``screenshot("step")`` saves test-artifacts/<test name>/<n>-step.png."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = iter(range(1, 100))

    def take(step):
        page.screenshot(path=folder / f"{next(counter):02d}-{step}.png", full_page=True)

    take.folder = folder
    return take
