"""Quality gates in a real browser: accessibility (axe-core), layout at 360 and 1440 px,
Chinese text in a real CJK font, and the keyboard path through the skip link.

Every page type (the list in tests/foundation/test_html_validity.py, over the demo content
with the post imported from the old site, the Chinese posts, a draft opened through its share
link, and the 500 and 503 pages as the site serves them) is opened in Debian's chromium
at both widths; axe-core, from the npm registry (``tests/browser/package.json``, installed by
``make browser-deps``), is injected and must report no *serious* or *critical* violation. A
full-page screenshot of each page at each width goes to ``test-artifacts/screenshots/``.
"""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.conftest import ARTIFACTS
from tests.foundation.test_html_validity import URLCONF, page_urls

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback restores what migrations
    # created (the Editors group) for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ARTIFACTS / "screenshots"
WIDTHS = (360, 1440)
BLOCKING_IMPACTS = ("serious", "critical")

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, html: n.html,
                                          summary: n.failureSummary})),
  }));
}"""

# Wider than the viewport: what the visitor would have to scroll sideways to read.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter(el => {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1) return false;
      // Inside a scroll container (wide tables) is fine: that is what it is for.
      for (let p = el.parentElement; p; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) return false;
      }
      return true;
    })
    .slice(0, 5)
    .map(el => el.outerHTML.slice(0, 160));
}"""


@pytest.fixture
def site(live_server, settings):
    """The demo content behind the live server; {page type: URL}."""
    settings.POSTS_PER_PAGE = 3  # so that the news list has a second page
    settings.ROOT_URLCONF = URLCONF  # with views that fail: the 500 and 503 pages
    call_command("load_demo_content", verbosity=0)
    return {name: f"{live_server.url}{url}" for name, url in page_urls().items()}


def open_page(browser, url, width, **options):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", bypass_csp=True, **options
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url, wait_until="load")
    return context, page


def format_violations(found):
    lines = []
    for name, width, violation in found:
        lines.append(
            f"{name} at {width} px: [{violation['impact']}] {violation['id']}: "
            f"{violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            lines.append(f"      {node['summary'].replace(chr(10), chr(10) + '      ')}")
    return "\n".join(lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_type_passes_axe_and_holds_its_layout(site, browser, width):
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make browser-deps`")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    violations, overflowing = [], {}

    for name, url in site.items():
        context, page = open_page(browser, url, width)
        try:
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
            page.add_script_tag(path=str(AXE))
            for violation in page.evaluate(RUN_AXE):
                if violation["impact"] in BLOCKING_IMPACTS:
                    violations.append((name, width, violation))
            if wide := page.evaluate(OVERFLOW):
                overflowing[name] = wide
        finally:
            context.close()

    assert not violations, (
        f"axe-core found {len(violations)} serious or critical violation(s):\n"
        + format_violations(violations)
    )
    assert not overflowing, (
        f"At {width} px these pages scroll sideways:\n{json.dumps(overflowing, indent=2)}"
    )
    assert len(list(SCREENSHOTS.glob(f"*-{width}.png"))) >= len(site)


def test_chinese_text_is_drawn_in_a_real_cjk_font(site, browser):
    context, page = open_page(browser, site["post-chinese"], 1440)
    try:
        title = page.locator("h1").inner_text()
        assert any("\u4e00" <= char <= "\u9fff" for char in title), title
        # Ask chromium which fonts it really drew the title with, and how many glyphs each.
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        page.screenshot(path=SCREENSHOTS / "chinese-title-1440.png")
    finally:
        context.close()

    cjk = [font for font in fonts if "CJK" in font["familyName"] or "Han" in font["familyName"]]
    assert cjk, f"the Chinese title is not drawn in a CJK font: {fonts}"
    assert sum(font["glyphCount"] for font in cjk) >= sum(
        1 for char in title if "\u4e00" <= char <= "\u9fff"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_skip_link_comes_first_shows_itself_and_jumps_to_main(site, browser, width):
    context, page = open_page(browser, site["post-imported-from-jekyll"], width)
    try:
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const el = document.activeElement, box = el.getBoundingClientRect();
              const style = getComputedStyle(el);
              return {cls: el.className, text: el.textContent.trim(), href: el.getAttribute("href"),
                      top: box.top, bottom: box.bottom, left: box.left, right: box.right,
                      outline: style.outlineStyle, outlineWidth: style.outlineWidth};
            }"""
        )
        page.screenshot(path=SCREENSHOTS / f"skip-link-focused-{width}.png")
        assert focused["cls"] == "skip-link", focused
        assert focused["text"] == "Skip to main content"
        assert focused["href"] == "#main"
        # Visible: inside the viewport, with the focus ring drawn.
        assert focused["top"] >= 0 and focused["bottom"] <= 900, focused
        assert focused["left"] >= 0 and focused["right"] <= width, focused
        assert focused["outline"] != "none" and focused["outlineWidth"] != "0px", focused

        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        # The next Tab lands inside the main content, not back in the header.
        page.keyboard.press("Tab")
        inside_main = page.evaluate(
            """() => {
              const el = document.activeElement;
              const style = getComputedStyle(el);
              return {inMain: !!el.closest("main"), outline: style.outlineStyle,
                      html: el.outerHTML.slice(0, 120)};
            }"""
        )
        assert inside_main["inMain"], inside_main
        assert inside_main["outline"] != "none", inside_main
    finally:
        context.close()
