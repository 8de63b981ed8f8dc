"""The site by keyboard alone: Tab through a news list from the skip link to the search box,
the language switcher and the next page, each stop showing where the focus is, and Enter
doing there what a click does."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from foundation.factories import make_post
from tests.browser.test_quality_gates import open_page

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback restores what migrations
    # created (the Editors group) for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The focused element and whether a focus indicator is drawn around it.
FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    html: el.outerHTML.slice(0, 160), tag: el.tagName.toLowerCase(), id: el.id,
    cls: el.className, rel: el.getAttribute("rel"), hreflang: el.getAttribute("hreflang"),
    text: el.textContent.trim(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    boxShadow: style.boxShadow !== "none",
    width: box.width, height: box.height,
  };
}"""

SKIP_LINK = {"cls": "skip-link"}
SEARCH_BOX = {"id": "site-search-q"}
OTHER_LANGUAGE = {"hreflang": "zh-Hans"}  # the switcher's link (hreflang alternates are <link>s)
NEXT_PAGE = {"rel": "next", "cls": "pagination__next"}


def matches(focused, target):
    return all(focused[key] == value for key, value in target.items())


def tab_to(page, target, limit=80):
    """Press Tab until the element described by ``target`` has the focus; every stop on the way
    must be on screen and show a focus indicator. Returns the stops."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        stops.append(focused)
        assert focused["tag"] != "body", "the focus left the page: " + describe(stops)
        # Scrolled into view (chromium scrolls to a focused element smoothly, so not at once).
        expect(page.locator(":focus")).to_be_in_viewport()
        assert focused["outline"] or focused["boxShadow"], f"no visible focus: {focused['html']}"
        assert focused["width"] > 0 and focused["height"] > 0, focused["html"]
        if matches(focused, target):
            return stops
    raise AssertionError(f"{target} not reached in {limit} Tabs: " + describe(stops))


def describe(stops):
    return "\n".join(stop["html"] for stop in stops)


def position(stops, target):
    return next(n for n, stop in enumerate(stops) if matches(stop, target))


@pytest.fixture
def news(live_server, settings):
    """Four posts, three a page: the news list has a second page. Its URL."""
    settings.POSTS_PER_PAGE = 3
    make_post("Carsmos joins the foundation", hero=True)
    for title in ("Tongsuo 8.4 released", "Meetup in Shenzhen", "Annual report published"):
        make_post(title)
    return live_server.url + reverse("posts:list")


@pytest.mark.parametrize("width", (360, 1440))
def test_tab_walks_the_news_list_in_order_with_the_focus_always_visible(browser, news, width):
    context, page = open_page(browser, news, width)
    try:
        stops = tab_to(page, NEXT_PAGE)
    finally:
        context.close()
    assert matches(stops[0], SKIP_LINK), stops[0]["html"]
    order = [position(stops, target) for target in (SEARCH_BOX, OTHER_LANGUAGE, NEXT_PAGE)]
    assert order == sorted(order), describe(stops)


def test_search_box_by_keyboard(browser, news):
    context, page = open_page(browser, news, 1440)
    try:
        tab_to(page, SEARCH_BOX)
        page.keyboard.type("Carsmos")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/search/\?q=Carsmos$"))
        expect(page.locator(".result-count")).to_have_text("1 result for “Carsmos”")
        expect(page.locator(".search-result h3 a")).to_have_text("Carsmos joins the foundation")
    finally:
        context.close()


def test_language_switcher_by_keyboard(browser, news):
    context, page = open_page(browser, news, 1440)
    try:
        tab_to(page, OTHER_LANGUAGE)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/zh-hans/news/$"))
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        expect(page.locator("h1")).to_have_text("新闻")
    finally:
        context.close()


def test_next_page_by_keyboard(browser, news):
    context, page = open_page(browser, news, 1440)
    try:
        tab_to(page, NEXT_PAGE)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/news/\?page=2$"))
        expect(page.locator(".pagination__current")).to_have_text("Page 2 of 2")
        expect(page.locator(".post-card")).to_have_count(1)
    finally:
        context.close()
