"""The Markdown → sanitised HTML pipeline, by example.

What a reader sees of a post is exactly ``render_markdown(post.body)``: tables, code and
footnotes render; the old Jekyll site's centred images and captions become figures; and
nothing an author (or an imported post) writes can run script, restyle the page or leak
Liquid to a visitor.
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from foundation.factories import make_post
from posts.markup import excerpt_from_html, render_markdown, resolve_liquid, sanitize_html

SAMPLE_POST = (
    Path(__file__).resolve().parents[2]
    / "foundation/demo/jekyll/_posts/2023-06-11-carsmos-donation-signing-ceremony.md"
)


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], ""

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag):
        return [element for element in self.iter() if element.tag == tag]

    def text_content(self):
        return self.text + "".join(child.text_content() for child in self.children)


class TreeBuilder(HTMLParser):
    """A small DOM of the rendered fragment, so tests talk about elements, not strings."""

    VOID = {"img", "br", "hr", "col", "input", "meta", "link", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#root", [], None)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        # Text after a child is kept on the parent: enough for "does this text appear".
        self.current.text += data


def parse(html):
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def all_attributes(root):
    return [(e.tag, name, value) for e in root.iter() for name, value in e.attrs.items()]


def sample_body():
    front, body = SAMPLE_POST.read_text(encoding="utf-8").split("---\n", 2)[1:]
    return yaml.safe_load(front), body


# --- Markdown features -------------------------------------------------------------------


def test_tables_render_with_header_and_body():
    root = parse(render_markdown("| Project | Donor |\n|---|---|\n| Tongsuo | Ant Group |\n"))
    [table] = root.find_all("table")
    assert [th.text_content() for th in table.find_all("th")] == ["Project", "Donor"]
    assert [td.text_content() for td in table.find_all("td")] == ["Tongsuo", "Ant Group"]


def test_fenced_code_keeps_its_language_and_escapes_its_content():
    html = render_markdown('```python\nprint("<b>hi</b>")\n```')
    root = parse(html)
    [code] = root.find_all("code")
    assert code.attrs["class"] == "language-python"
    assert code.text_content() == 'print("<b>hi</b>")\n'
    assert root.find_all("b") == []


def test_footnotes_link_both_ways():
    root = parse(render_markdown("Signed in 2023.[^1]\n\n[^1]: At the Open Atom summit."))
    [ref] = [a for a in root.find_all("a") if a.attrs.get("class") == "footnote-ref"]
    [note] = [li for li in root.find_all("li") if li.attrs.get("id") == "fn:1"]
    assert ref.attrs["href"] == "#fn:1"
    assert "At the Open Atom summit." in note.text_content()
    [back] = [a for a in note.find_all("a") if a.attrs.get("class") == "footnote-backref"]
    assert back.attrs["href"] == "#fnref:1"
    assert {e.attrs["id"] for e in root.iter() if "id" in e.attrs} == {"fn:1", "fnref:1"}


def test_empty_body_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


# --- the old Jekyll site's markup --------------------------------------------------------


def test_sample_post_renders_its_figures_captions_and_table():
    front, body = sample_body()
    assert front["title"].startswith("The Open Atom Open Source Foundation")
    html = render_markdown(body)
    root = parse(html)

    figures = root.find_all("figure")
    assert len(figures) == 2
    first, second = figures
    assert first.attrs["class"] == "align-center"
    [img] = first.find_all("img")
    assert img.attrs["src"] == "/img/blog/d1.jpg"
    assert img.attrs["alt"] == ""
    assert img.attrs["style"] == "margin:0 auto;width:90%"
    [caption] = first.find_all("figcaption")
    assert caption.text_content().startswith("Group photo at the signing ceremony")
    # The second image has no <center> caption after it: a figure without figcaption.
    assert second.find_all("img")[0].attrs["src"] == "/img/blog/d2.png"
    assert second.find_all("figcaption") == []

    centred = [p.text_content() for p in root.find_all("p") if p.attrs.get("class")]
    assert centred == [
        "All walks of life around the world are sincerely invited to join hands with the "
        "Open Atom Open Source Foundation",
        "Prosperous open source business! Share the value of open source!",
    ]

    [table] = root.find_all("table")
    rows = table.find_all("tr")
    assert len(rows) == 21  # the header and the 20 donated projects
    assert "CARSMOS" in rows[17].text_content()
    assert "Futurewei Technologies" in rows[17].text_content()

    # Neither Liquid nor the legacy tags reach a reader.
    for leftover in ("{{", "relative_url", "<center", "<div align"):
        assert leftover not in html


def test_sample_post_saved_as_a_post_stores_the_rendered_figures(db):
    front, body = sample_body()
    post = make_post(front["title"], slug="carsmos-donation-signing-ceremony", body=body)
    post.refresh_from_db()
    assert post.body_html == render_markdown(body)
    assert post.body_html.count("<figure") == 2


@pytest.mark.parametrize(
    "source",
    [
        '<div align="center"><img src="/a.jpg"></div>\n<center>A caption</center>',
        "<div align=center>\n  <img src='/a.jpg' />\n</div>\n<center>A caption</center>",
        '<DIV ALIGN="center"><IMG SRC="/a.jpg"></DIV><CENTER>A caption</CENTER>',
    ],
)
def test_legacy_centred_image_with_caption_becomes_a_figure(source):
    root = parse(render_markdown(source))
    [figure] = root.find_all("figure")
    assert figure.attrs["class"] == "align-center"
    assert figure.find_all("img")[0].attrs["src"] == "/a.jpg"
    assert figure.find_all("figcaption")[0].text_content() == "A caption"


def test_a_lone_center_becomes_a_centred_paragraph():
    root = parse(render_markdown("Before.\n\n<center>Thank you, donors!</center>\n\nAfter."))
    [centred] = [p for p in root.find_all("p") if p.attrs.get("class") == "align-center"]
    assert centred.text_content() == "Thank you, donors!"
    assert root.find_all("center") == []


def test_an_unclosed_center_keeps_its_text_and_does_not_swallow_the_next_one():
    html = render_markdown(
        '<div align="center"><img src="/a.jpg"></div><center>Open <center>Cap</center>'
    )
    root = parse(html)
    [figure] = root.find_all("figure")
    assert figure.find_all("figcaption") == []
    [centred] = [p for p in root.find_all("p") if p.attrs.get("class") == "align-center"]
    assert centred.text_content() == "Cap"
    assert "Open" in root.text_content()
    assert "<center" not in html


def test_a_caption_cannot_smuggle_script_into_the_figure():
    html = render_markdown(
        '<div align="center"><img src="/a.jpg" onerror="alert(1)"></div>'
        "<center><script>alert(2)</script>Caption</center>"
    )
    root = parse(html)
    [figure] = root.find_all("figure")
    assert figure.find_all("figcaption")[0].text_content() == "Caption"
    assert "onerror" not in html and "alert" not in html


# --- what never reaches a reader ---------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<style>body { display: none }</style>",
        '<iframe src="https://evil.example/"></iframe>',
        '<object data="x.swf"></object><embed src="x.swf">',
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><script>alert(1)</script></mtext></math>",
        "<template><script>alert(1)</script></template>",
        "Text <script>alert(1)",
    ],
)
def test_dangerous_elements_are_removed_with_their_content(source):
    html = render_markdown(source)
    root = parse(html)
    for tag in ("script", "style", "iframe", "object", "embed", "svg", "math", "template"):
        assert root.find_all(tag) == [], (source, html)
    assert "alert" not in html and "display" not in html


@pytest.mark.parametrize(
    "source",
    [
        '<div onclick="alert(1)">x</div>',
        "<p ONMOUSEOVER=alert(1)>x</p>",
        '<img src="/a.jpg" alt="x" onerror="alert(1)">',
        '<a href="/" onfocus="alert(1)" autofocus>x</a>',
        '<details open ontoggle="alert(1)"><summary>x</summary></details>',
        '<span onpointerenter="alert(1)" data-x="1">x</span>',
    ],
)
def test_event_handlers_are_removed(source):
    root = parse(render_markdown(source))
    for tag, name, _value in all_attributes(root):
        assert not name.startswith("on"), (tag, name)
        assert not name.startswith("data-"), (tag, name)
    # The element and its content are kept; only the handlers go.
    assert "x" in root.text_content() or root.find_all("img")[0].attrs["alt"] == "x"


DANGEROUS_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "&#0000106&#0000097vascript:alert(1)",
    "javascript&colon;alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "java&#10;script:alert(1)",
    "java script:alert(1)",
    "\x01javascript:alert(1)",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,x",
]


@pytest.mark.parametrize("url", DANGEROUS_URLS)
@pytest.mark.parametrize(
    "template",
    [
        '<a href="{url}">link</a>',
        "<a href='{url}'>link</a>",
        '<img src="{url}" alt="picture">',
        '<div align="center"><img src="{url}"></div><center>caption</center>',
    ],
)
def test_dangerous_urls_in_raw_html_are_removed(template, url):
    html = render_markdown(template.format(url=url))
    root = parse(html)
    urls = [v for tag, name, v in all_attributes(root) if name in {"href", "src"}]
    assert urls == [], html
    assert "script" not in html.lower().replace("noopener", "")
    # The link or image itself stays: only its URL is removed.
    assert root.find_all("a") or root.find_all("img")


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](&#106;avascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html,alert)",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "![x](javascript:alert(1))",
        '![x](data:text/html,alert "title")',
    ],
)
def test_dangerous_urls_in_markdown_links_and_images_are_removed(source):
    html = render_markdown(source)
    root = parse(html)
    assert [v for _tag, name, v in all_attributes(root) if name in {"href", "src"}] == [], html
    assert root.find_all("a") or root.find_all("img")


@pytest.mark.parametrize(
    ("source", "attribute", "expected"),
    [
        ("[Site](https://www.openatom.org/)", "href", "https://www.openatom.org/"),
        ("[Mail](mailto:news@example.org)", "href", "mailto:news@example.org"),
        ("[News](/news/)", "href", "/news/"),
        ("[Up](../projects/)", "href", "../projects/"),
        ("[Anchor](#donors)", "href", "#donors"),
        ("![Logo](img/logo.png)", "src", "img/logo.png"),
        ("![Logo](//cdn.example.org/logo.png)", "src", "//cdn.example.org/logo.png"),
    ],
)
def test_safe_urls_are_kept(source, attribute, expected):
    root = parse(render_markdown(source))
    assert [v for _t, name, v in all_attributes(root) if name == attribute] == [expected]


def test_links_get_noopener():
    [link] = parse(render_markdown("[x](https://example.org/)")).find_all("a")
    assert link.attrs["rel"] == "noopener"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("text-align: center", "text-align:center"),
        ("margin: 0 auto;width:90%;", "margin:0 auto;width:90%"),
        ("position: fixed; top: 0; left: 0; width: 100%", "width:100%"),
        ("z-index: 9999; text-align: right", "text-align:right"),
        ("background: url(https://evil.example/x.png); font-weight: bold", "font-weight:bold"),
        ("background-image: url(javascript:alert(1))", None),
        ("width: expression(alert(1)); height: 10px", "height:10px"),
        ("width: e\\78pression(alert(1))", None),
        ("width: url(javascript:alert(1))", None),
        ("width: 10px /* comment */", None),
        ("width: 10px !important", None),
        ("display: none", None),
        ("color: red; font-size: 500px", None),
        ("TEXT-ALIGN: Center", "text-align:Center"),
    ],
)
def test_style_keeps_only_allowlisted_plain_properties(style, expected):
    [paragraph] = parse(render_markdown(f'<p style="{style}">Text</p>')).find_all("p")
    assert paragraph.attrs.get("style") == expected
    assert paragraph.text_content() == "Text"


def test_classes_come_only_from_the_allowlist():
    html = render_markdown(
        '<p class="align-right hidden modal">a</p>\n\n<p class="sr-only">b</p>\n\n'
        '<span class="legacy-caption footnote">c</span>'
    )
    classes = [e.attrs.get("class") for e in parse(html).iter() if e.tag in {"p", "span"}]
    assert classes == ["align-right", None, None, "legacy-caption footnote"]


def test_ids_are_kept_only_for_footnotes():
    html = render_markdown('<h2 id="login">x</h2>\n\n<p id="fn:x">y</p>\n\n<div id="main">z</div>')
    ids = [e.attrs["id"] for e in parse(html).iter() if "id" in e.attrs]
    assert ids == ["fn:x"]


def test_images_get_an_empty_alt_when_they_have_none_and_keep_theirs_otherwise():
    root = parse(
        render_markdown(
            '<img src="/a.jpg">\n\n![A donor logo](/b.png)\n\n<img src="/c.jpg" alt="C">'
        )
    )
    images = root.find_all("img")
    assert [(img.attrs["src"], img.attrs["alt"]) for img in images] == [
        ("/a.jpg", ""),
        ("/b.png", "A donor logo"),
        ("/c.jpg", "C"),
    ]
    assert all(img.attrs["loading"] == "lazy" for img in images)


def test_an_image_attribute_holding_a_bracket_does_not_break_the_tag():
    [img] = parse(render_markdown('<img src="/a.jpg" title="a > b">')).find_all("img")
    assert img.attrs == {
        "src": "/a.jpg",
        "title": "a > b",
        "alt": "",
        "loading": "lazy",
        "decoding": "async",
    }


def test_authors_loading_choice_is_not_duplicated():
    html = render_markdown('<img src="/a.jpg" alt="A" loading="eager">')
    assert html.count("loading=") == 1
    assert parse(html).find_all("img")[0].attrs["loading"] == "eager"


def test_comments_and_unknown_tags_do_not_reach_the_reader():
    html = render_markdown("<!-- editor's note: <script>x</script> -->\n\n<blink>Hi</blink> <form>")
    assert "<!--" not in html and "editor" not in html
    root = parse(html)
    assert root.find_all("blink") == [] and root.find_all("form") == []
    assert "Hi" in root.text_content()


def test_control_characters_do_not_break_rendering():
    html = render_markdown("a \x00RAW0\x00 b \x02x\x03 c\x07")
    assert parse(html).text_content() == "a RAW0 b x c"


# --- Liquid ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 'img/x.jpg' | relative_url }}", "/img/x.jpg"),
        ("{{'img/blog/d1.jpg'|relative_url}}", "/img/blog/d1.jpg"),
        ('{{ "/img/x.jpg" | absolute_url }}', "/img/x.jpg"),
        ("{{- 'img/x.jpg' | relative_url -}}", "/img/x.jpg"),
        ("[{{ site.baseurl }}/news/]", "[/news/]"),
        ("{{ site.url }}", ""),
        ("{% raw %}{{ x }}{% endraw %}", "{{ x }}"),
        ("{%- raw -%}{{ 'a' | relative_url }}{%- endraw -%}", "{{ 'a' | relative_url }}"),
        ("{% raw %}{% raw %}x{% endraw %} {% raw %}open", "{% raw %}x {% raw %}open"),
        ("{{ server_ip }}", "{{ server_ip }}"),
        ("{% include foo.html %}", "{% include foo.html %}"),
    ],
)
def test_liquid_resolution(source, expected):
    assert resolve_liquid(source) == expected


def test_liquid_in_a_rendered_post():
    html = render_markdown(
        "![Signing]({{ 'img/blog/d1.jpg' | relative_url }})\n\n"
        "Home: {{ site.baseurl }}/\n\n"
        "Template: {% raw %}{{ page.title }}{% endraw %}\n\n"
        "Unknown: {{ server_ip }} and {% include foo.html %}"
    )
    root = parse(html)
    assert root.find_all("img")[0].attrs["src"] == "/img/blog/d1.jpg"
    text = root.text_content()
    assert "Home: /" in text
    assert "Template: {{ page.title }}" in text
    assert "Unknown: {{ server_ip }} and {% include foo.html %}" in text
    assert "relative_url" not in html


def test_liquid_respects_a_base_url():
    assert (
        resolve_liquid("{{ 'img/x.jpg' | relative_url }}", base_url="/blog/") == "/blog/img/x.jpg"
    )


# --- sanitize_html and excerpts ----------------------------------------------------------


def test_sanitize_html_on_its_own_removes_script_handlers_and_urls():
    html = sanitize_html(
        '<p onclick="x()">Hi <a href="javascript:alert(1)">there</a><script>bad()</script></p>'
    )
    assert html == '<p>Hi <a rel="noopener">there</a></p>'


def test_rendering_is_stable_under_a_second_sanitising_pass():
    _front, body = sample_body()
    html = render_markdown(body)
    assert sanitize_html(html) == html


def test_excerpt_is_plain_text_truncated_by_words():
    html = render_markdown("**Bold** start with <em>emphasis</em>.\n\n" + "word " * 60)
    excerpt = excerpt_from_html(html, words=10)
    assert excerpt.startswith("Bold start with emphasis.")
    assert "<" not in excerpt
    assert excerpt.endswith("…")
    assert len(excerpt.split()) == 10


def test_excerpt_is_plain_text_with_entities_decoded():
    from posts.markup import excerpt_from_html, render_markdown

    assert excerpt_from_html(render_markdown("Tom & Jerry <b>sign</b>")) == "Tom & Jerry sign"


def test_excerpt_of_chinese_text_is_cut_by_characters():
    from posts.markup import excerpt_from_html

    excerpt = excerpt_from_html("<p>" + "开放原子开源基金会举行捐赠签约仪式。" * 40 + "</p>")
    assert len(excerpt) <= 160
    assert excerpt.endswith("…")
