"""Property tests: whatever an author (or an imported post) writes, the rendered HTML is safe.

Hypothesis builds Markdown that mixes prose, Markdown syntax, Liquid and raw HTML made of
dangerous parts: script-bearing tags, event handlers, URLs whose scheme is disguised by
case, whitespace, control characters or character references, unclosed tags, comments,
CDATA, SVG and MathML. The output is parsed the way a browser parses it (html5lib, a
WHATWG HTML5 parser) and checked element by element.
"""

import html
import os
import re
import unicodedata

import html5lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posts.markup import (
    ALLOWED_STYLE_PROPERTIES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    render_markdown,
    sanitize_html,
)

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 300)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

FORBIDDEN_ELEMENTS = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "link",
    "meta",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "svg",
    "math",
    "template",
    "noscript",
    "xmp",
    "plaintext",
    "noembed",
    "noframes",
    "audio",
    "video",
    "source",
    "track",
    "portal",
    "dialog",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "srcset",
    "poster",
    "background",
    "data",
    "cite",
    "longdesc",
    "usemap",
    "lowsrc",
    "dynsrc",
    "ping",
    "manifest",
    "codebase",
}

# --- strategies --------------------------------------------------------------------------

DANGEROUS_TAGS = [
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "template",
    "form",
    "input",
    "button",
    "base",
    "link",
    "meta",
    "frameset",
    "noscript",
    "textarea",
    "xmp",
    "plaintext",
    "title",
    "select",
    "video",
    "audio",
    "image",
    "isindex",
]
ORDINARY_TAGS = sorted(ALLOWED_TAGS | {"center", "font", "blink", "marquee", "foo", "x-y"})

tag_names = st.one_of(
    st.sampled_from(DANGEROUS_TAGS + ORDINARY_TAGS),
    st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9-]{0,8}\Z"),
).flatmap(lambda name: st.sampled_from([name, name.upper(), name.capitalize()]))

EVENT_HANDLERS = [
    "onclick",
    "onerror",
    "onload",
    "onmouseover",
    "onfocus",
    "ontoggle",
    "onanimationstart",
    "onbegin",
    "onpointerenter",
    "ONLOAD",
    "OnError",
]
attribute_names = st.one_of(
    st.sampled_from(EVENT_HANDLERS),
    st.from_regex(r"\Aon[a-zA-Z]{1,12}\Z"),
    st.sampled_from(
        sorted(URL_ATTRIBUTES)
        + [
            "style",
            "class",
            "id",
            "title",
            "alt",
            "align",
            "width",
            "height",
            "loading",
            "rel",
            "target",
            "srcdoc",
            "xmlns",
            "xmlns:xlink",
            "data-x",
            "is",
            "name",
            "lang",
            "dir",
            "colspan",
            "open",
            "autofocus",
            "tabindex",
            "contenteditable",
            "type",
            "http-equiv",
            "content",
            "attributename",
            "to",
            "values",
            "from",
        ]
    ),
)


def disguise(text):
    """Strategies that write ``text`` the ways an attacker would to slip past a filter."""

    def mixed_case(draw_bools):
        return "".join(c.upper() if up else c for c, up in zip(text, draw_bools, strict=False))

    def entity(char, style):
        return [
            char,
            f"&#{ord(char)};",
            f"&#x{ord(char):x};",
            f"&#0000{ord(char)}",
            f"&#X{ord(char):X};",
        ][style]

    invisible = st.sampled_from(
        [
            "\t",
            "\n",
            "\r",
            " ",
            "\x00",
            "\x01",
            "\x0b",
            "\x0c",
            "&#9;",
            "&#10;",
            "&#x0A;",
            "&Tab;",
            "&NewLine;",
            "\u200b",
            "\u00a0",
            "\ufeff",
        ]
    )
    return st.one_of(
        st.just(text),
        st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(mixed_case),
        st.lists(st.integers(0, 4), min_size=len(text), max_size=len(text)).map(
            lambda styles: "".join(entity(c, s) for c, s in zip(text, styles, strict=True))
        ),
        st.tuples(st.integers(0, len(text)), invisible).map(
            lambda split: text[: split[0]] + split[1] + text[split[0] :]
        ),
        st.tuples(invisible, st.just(text)).map("".join),
    )


schemes = st.sampled_from(
    [
        "javascript",
        "vbscript",
        "data",
        "livescript",
        "jav&#x09;ascript",
        "http",
        "https",
        "mailto",
        "ftp",
        "file",
        "blob",
        "about",
    ]
).flatmap(disguise)
colons = st.sampled_from([":", "&colon;", "&#58;", "&#x3a;", "%3A", ":\n", " :"])
payloads = st.sampled_from(
    [
        "alert(1)",
        "//evil.example/%0aalert(1)",
        "text/html,<script>alert(1)</script>",
        "text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "image/png;base64,iVBORw0K",
        "image/svg+xml,<svg onload=alert(1)>",
        "msgbox(1)",
        "example.org/x?y=1&z=2",
    ]
)
urls = st.one_of(
    st.tuples(schemes, colons, payloads).map("".join),
    st.sampled_from(["/news/", "#fn:1", "../x.png", "//cdn.example.org/a.png", "", "?q=1"]),
)

style_values = st.lists(
    st.tuples(
        st.sampled_from(
            sorted(ALLOWED_STYLE_PROPERTIES)
            + [
                "position",
                "z-index",
                "background",
                "background-image",
                "behavior",
                "-moz-binding",
                "display",
                "top",
                "left",
                "content",
                "font-size",
                "color",
                "TEXT-ALIGN",
                "wi\\64th",
            ]
        ),
        st.sampled_from(
            [
                "center",
                "0 auto",
                "90%",
                "fixed",
                "99999",
                "url(javascript:alert(1))",
                "expression(alert(1))",
                "e\\78pression(alert(1))",
                "url(data:text/html,x)",
                "none",
                "10px !important",
                "1px /* */",
                "calc(100% - 1px)",
                "'x'",
                "\\",
                "red;position:fixed",
                'url("x")',
            ]
        ),
    ).map(lambda d: f"{d[0]}:{d[1]}"),
    max_size=4,
).map(";".join)


@st.composite
def attributes(draw):
    name = draw(attribute_names)
    if name.lower() == "style":
        value = draw(style_values)
    elif name.lower() in URL_ATTRIBUTES or draw(st.booleans()):
        value = draw(urls)
    else:
        value = draw(st.text(max_size=20))
    quote = draw(st.sampled_from(['"', "'", ""]))
    value = value.replace(quote, "") if quote else (re.sub(r"[\s>]", "", value) or "x")
    separator = draw(st.sampled_from([" ", "\t", "\n", "/", " / "]))
    return f"{separator}{name}={quote}{value}{quote}"


@st.composite
def html_fragments(draw, depth=0):
    tag = draw(tag_names)
    attrs = "".join(draw(st.lists(attributes(), max_size=3)))
    opening = f"<{tag}{attrs}{draw(st.sampled_from(['>', ' >', '/>', '']))}"
    if depth < 2:
        inner = "".join(
            draw(
                st.lists(
                    st.one_of(st.text(max_size=15), html_fragments(depth=depth + 1), snippets),
                    max_size=3,
                )
            )
        )
    else:
        inner = draw(st.text(max_size=15))
    closing = draw(st.sampled_from([f"</{tag}>", "", f"</{tag.upper()}>", "</p>", "</div>"]))
    return opening + inner + closing


snippets = st.sampled_from(
    [
        "<svg><script>alert(1)</script></svg>",
        "<svg/onload=alert(1)>",
        "<svg><a xlink:href='javascript:alert(1)'><text>x</text></a></svg>",
        "<svg><animate attributeName=href to=javascript:alert(1) /></svg>",
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<!-- <script>alert(1)</script> -->",
        "<!--><img src=x onerror=alert(1)>-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>",
        "<style><img src=x onerror=alert(1)></style>",
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)//",
        "<a href='javas\tcript:alert(1)'>x</a>",
        '<div align="center"><img src="{{\'img/x.jpg\'|relative_url}}"></div><center>cap</center>',
        "<center><script>alert(1)</script>caption</center>",
        "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
        "<object data='javascript:alert(1)'></object>",
        "<form><button formaction='javascript:alert(1)'>x</button></form>",
        "<table><tr><td>a</td><script>alert(1)</script></tr></table>",
        "<?xml version='1.0'?>",
        "<!DOCTYPE html>",
        "</p><p>",
    ]
)

markdown_syntax = st.one_of(
    st.sampled_from(
        [
            "# Heading\n",
            "## Sub\n",
            "**bold**",
            "_em_",
            "`code`",
            "\n\n",
            "\n",
            "> quote\n",
            "- item\n- item\n",
            "1. one\n2. two\n",
            "---\n",
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
            "```\ncode <script>alert(1)</script>\n```\n",
            "```html\n<b>x</b>\n```\n",
            "    indented <script>\n",
            "[^1]",
            "\n\n[^1]: A note <script>alert(1)</script>\n",
            "[^x]: <img src=x onerror=alert(1)>\n",
            "\\<script\\>",
            "&amp;",
            "&lt;script&gt;",
            "<https://example.org>",
            "<mailto:a@example.org>",
            "<javascript:alert(1)>",
        ]
    ),
    st.tuples(st.text(max_size=10), urls).map(lambda t: f"[{t[0]}]({t[1]})"),
    st.tuples(st.text(max_size=10), urls).map(lambda t: f"![{t[0]}]({t[1]})"),
    st.tuples(st.text(max_size=10), urls).map(lambda t: f'[{t[0]}](<{t[1]}> "t")'),
    urls.map(lambda u: f"[link][r]\n\n[r]: {u}\n"),
)

liquid = st.one_of(
    st.sampled_from(
        [
            "{{ site.baseurl }}",
            "{{site.url}}",
            "{% raw %}",
            "{% endraw %}",
            "{% raw %}<script>alert(1)</script>{% endraw %}",
            "{{ server_ip }}",
            "{% include foo.html %}",
            "\x00RAW0\x00",
            "\x00RAW99\x00",
            "\x02wzxhzdk:0\x03",
        ]
    ),
    urls.map(lambda u: "{{ '" + u + "' | relative_url }}"),
)

documents = st.lists(
    st.one_of(st.text(max_size=30), markdown_syntax, html_fragments(), snippets, liquid),
    max_size=12,
).map("".join)


# --- what "safe" means -------------------------------------------------------------------


def local_name(name):
    """``{namespace}tag`` or ``xlink:href`` → ``tag`` / ``href``, lowercased."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def url_scheme(value):
    compact = "".join(
        c for c in value if not c.isspace() and unicodedata.category(c) not in {"Cc", "Cf"}
    ).lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", compact)
    return match.group(1) if match else None


def unsafe_parts(output):
    """Everything in ``output`` that a browser could execute or that could break the page."""
    problems = []
    fragment = html5lib.parseFragment(output, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if not isinstance(element.tag, str):  # comments and processing instructions
            problems.append(("comment", element.text))
            continue
        tag = element.tag
        name = local_name(tag)
        if name in FORBIDDEN_ELEMENTS or "}" in tag:
            problems.append(("element", tag))
        elif name not in ALLOWED_TAGS and tag != "DOCUMENT_FRAGMENT":
            problems.append(("element outside the allowlist", tag))
        for attribute, value in element.attrib.items():
            attr = local_name(attribute)
            if attr.startswith("on"):
                problems.append(("event handler", attribute, value))
            if attr in URL_ATTRIBUTES | {"formaction", "action"}:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in ALLOWED_URL_SCHEMES:
                    problems.append(("url", attribute, value))
            if attr == "style":
                for declaration in filter(None, (d.strip() for d in value.split(";"))):
                    prop, _, css = declaration.partition(":")
                    if prop.strip().lower() not in ALLOWED_STYLE_PROPERTIES or re.search(
                        r"[()\\/!@<>'\"&]|url|expression|javascript", css, re.I
                    ):
                        problems.append(("style", value))
            if attr in {"srcdoc", "srcset", "xmlns", "is", "formaction", "action"}:
                problems.append(("attribute", attribute, value))
    return problems


# --- the properties ----------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(documents)
def test_rendered_markdown_is_always_safe(source):
    output = render_markdown(source)
    assert unsafe_parts(output) == [], (source, output)


def dom(markup):
    """The parsed tree as nested tuples, attributes unordered: what a browser would build."""

    def node(element):
        return (
            element.tag,
            tuple(sorted(element.attrib.items())),
            element.text or "",
            tuple(node(child) for child in element),
            element.tail or "",
        )

    return node(html5lib.parseFragment(markup, treebuilder="etree", namespaceHTMLElements=False))


@PROPERTY_SETTINGS
@given(documents)
def test_sanitising_rendered_html_again_changes_nothing(source):
    """The renderer's output is a fixed point of the sanitiser: storing ``body_html`` and
    cleaning it again (an import, a migration) never alters what readers see.

    Compared as parsed trees rather than as strings: when nh3 drops an unsafe ``href`` it
    writes the ``rel`` it adds in that attribute's place, and on a second pass at the end,
    so the bytes can differ in attribute order while the page is the same.
    """
    output = render_markdown(source)
    assert dom(sanitize_html(output)) == dom(output), (source, output)


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_any_text_renders_without_raising_and_safely(source):
    output = render_markdown(source)
    assert isinstance(output, str)
    assert unsafe_parts(output) == [], (source, output)


@PROPERTY_SETTINGS
@given(st.tuples(tag_names, st.lists(attributes(), min_size=1, max_size=4), st.text(max_size=10)))
def test_sanitize_html_alone_is_safe_for_any_tag_and_attributes(parts):
    tag, attrs, text = parts
    output = sanitize_html(f"<{tag}{''.join(attrs)}>{html.escape(text)}</{tag}>")
    assert unsafe_parts(output) == [], (parts, output)


@PROPERTY_SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_plain_prose_survives_rendering(words):
    """Safety must not cost text: plain words (no Markdown or HTML syntax) come through."""
    prose = re.sub(r"[^\w ]|_", "", words).strip()
    output = render_markdown(prose)
    fragment = html5lib.parseFragment(output, treebuilder="etree", namespaceHTMLElements=False)
    assert " ".join("".join(fragment.itertext()).split()) == " ".join(prose.split())
