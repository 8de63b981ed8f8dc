"""Markdown → safe HTML, the one renderer the site, the feeds and the editor's preview share.

Editors (and the old Jekyll site) write Markdown with raw HTML in it. The HTML is kept,
because the old posts depend on it (``<div align="center"><img …></div>`` followed by a
``<center>`` caption), but it passes an allowlist (nh3) before anyone sees it: the
renderer's output is only ever shown after this module has cleaned it. See
python.org's ``markup.py`` for why the sanitising pass is not optional.

The pipeline:

1. Liquid that the old site relied on is resolved (``{{ 'img/x.jpg' | relative_url }}``,
   ``{{ site.baseurl }}``, ``{% raw %}``); any other Liquid is left as visible text.
2. Python-Markdown with tables, fenced code and footnotes.
3. The old site's centred image + ``<center>`` caption becomes ``<figure>``/``<figcaption>``.
4. nh3 keeps an allowlist of tags, attributes, URL schemes and style properties.
"""

import re
import unicodedata
from html import unescape

import markdown
import nh3
from django.utils.html import strip_tags
from django.utils.text import Truncator

MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "footnotes", "sane_lists"]

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir", "class", "id", "style"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "ol": {"start", "reversed"},
    "abbr": set(),
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Only properties that cannot take an element out of the flow of the article.
ALLOWED_STYLE_PROPERTIES = {
    "text-align",
    "width",
    "max-width",
    "height",
    "margin",
    "margin-left",
    "margin-right",
    "margin-top",
    "margin-bottom",
    "vertical-align",
    "font-weight",
    "font-style",
    "text-decoration",
}
# Classes the renderer itself produces; anything else an author writes is dropped.
ALLOWED_CLASS = re.compile(
    r"^(footnote|footnote-ref|footnote-backref|footnote-backref-\w+|align-(left|center|right)"
    r"|language-[\w+-]+|legacy-caption)$"
)
ALLOWED_ID = re.compile(r"^(fn|fnref):[\w-]+$")

# Bodies that stop in the middle (an unclosed ``{% raw %}`` or ``<center>``) must not make
# every opening scan to the end of the text: each match stops at the next opening tag, so
# rendering stays linear in the size of the body.
_RAW_BLOCK = re.compile(
    r"{%-?\s*raw\s*-?%}((?:(?!{%-?\s*(?:end)?raw\s*-?%}).)*){%-?\s*endraw\s*-?%}", re.S
)
_LIQUID_URL = re.compile(
    r"{{-?\s*(['\"])(?P<path>[^'\"]*)\1\s*\|\s*(?:relative_url|absolute_url)\s*-?}}"
)
_LIQUID_SITE_BASE = re.compile(r"{{-?\s*site\.(?:baseurl|url)\s*-?}}")
_LEGACY_FIGURE = re.compile(
    r"<div\s+align=\"?center\"?\s*>\s*(?P<img><img\b[^>]*>)\s*</div>"
    r"(?:\s*<center>(?P<caption>(?:(?!</?center>).)*)</center>)?",
    re.S | re.I,
)
_CENTER = re.compile(r"<center>((?:(?!</?center>).)*)</center>", re.S | re.I)
# Control characters have no place in a post; NUL also marks the raw-block placeholders
# below and STX/ETX are Python-Markdown's own, so a body must not be able to forge them.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RAW_PLACEHOLDER = re.compile("\x00RAW(\\d+)\x00")
# A URL scheme at the start of a value, as a browser would read it once the tabs,
# newlines and other invisible characters it ignores are taken out.
_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_URL_ATTRIBUTES = {"href", "src"}
# A style value may only be plain words, numbers, units, percentages and colours: no
# parentheses (``url()``, ``expression()``), no CSS escapes, comments, quotes or ``!``.
_STYLE_VALUE = re.compile(r"^[-a-z0-9#%.,\s]+$", re.I)
# nh3 writes every attribute as name="value" with quotes escaped, so after sanitising an
# <img> tag can be read reliably with a regular expression.
_SANITISED_IMG = re.compile(r'<img((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE_NAME = re.compile(r'\s([^\s=>]+)(?:="[^"]*")?')
_IMG_DEFAULTS = (("alt", ""), ("loading", "lazy"), ("decoding", "async"))


def resolve_liquid(text, base_url="/"):
    """Resolve the Liquid the old Jekyll site used for URLs; leave any other tag as text.

    ``{% raw %}…{% endraw %}`` keeps its content exactly as written.
    """
    protected = []

    def protect(match):
        protected.append(match.group(1))
        return f"\x00RAW{len(protected) - 1}\x00"

    text = _RAW_BLOCK.sub(protect, text.replace("\x00", ""))
    base = base_url.rstrip("/")
    text = _LIQUID_URL.sub(lambda m: f"{base}/{m.group('path').lstrip('/')}", text)
    text = _LIQUID_SITE_BASE.sub(base, text)
    return _RAW_PLACEHOLDER.sub(lambda m: protected[int(m.group(1))], text)


def _legacy_figures(html):
    """The old site's centred image + ``<center>`` caption, as ``<figure>``/``<figcaption>``."""

    def figure(match):
        caption = match.group("caption")
        figcaption = f"<figcaption>{caption.strip()}</figcaption>" if caption else ""
        return f'<figure class="align-center">{match.group("img")}{figcaption}</figure>'

    html = _LEGACY_FIGURE.sub(figure, html)
    return _CENTER.sub(r'<p class="align-center">\1</p>', html)


def _is_unsafe_url(value):
    """Whether a URL names a scheme outside the allowlist, however it is disguised.

    nh3 already refuses ``javascript:`` and friends, but treats a value it cannot parse
    (``java  script:``, a tab expanded to spaces by Markdown) as a harmless relative URL.
    Here whitespace and invisible characters are taken out before the scheme is read, so
    anything that even looks like an unknown scheme is dropped.
    """
    compact = "".join(
        char
        for char in value
        if not char.isspace() and unicodedata.category(char) not in {"Cc", "Cf"}
    ).lower()
    match = _URL_SCHEME.match(compact)
    return bool(match) and match.group(1) not in ALLOWED_URL_SCHEMES


def _clean_style(value):
    """Keep only allowlisted properties whose values are plain, as ``prop:value;…``."""
    kept = []
    for declaration in value.split(";"):
        name, colon, css = declaration.partition(":")
        name, css = name.strip().lower(), " ".join(css.split())
        if colon and name in ALLOWED_STYLE_PROPERTIES and css and _STYLE_VALUE.match(css):
            kept.append(f"{name}:{css}")
    return ";".join(kept) or None


def _attribute_filter(tag, attribute, value):
    if attribute in _URL_ATTRIBUTES:
        return None if _is_unsafe_url(value) else value
    if attribute == "style":
        return _clean_style(value)
    if attribute == "class":
        kept = " ".join(name for name in value.split() if ALLOWED_CLASS.match(name))
        return kept or None
    if attribute == "id":
        return value if ALLOWED_ID.match(value) else None
    if attribute == "align":
        return value if value.lower() in {"left", "center", "right"} else None
    if attribute == "loading":
        return value if value in {"lazy", "eager"} else None
    return value


def sanitize_html(html):
    """Keep the allowlisted HTML; drop scripts, event handlers and unsafe URLs and styles."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=ALLOWED_URL_SCHEMES,
        filter_style_properties=ALLOWED_STYLE_PROPERTIES,
        link_rel="noopener",
        strip_comments=True,
    )


def _complete_images(html):
    """Give every sanitised ``<img>`` an alt (empty: decorative) and lazy loading."""

    def complete(match):
        attributes = match.group(1)
        present = set(_ATTRIBUTE_NAME.findall(attributes))
        missing = "".join(
            f' {name}="{value}"' for name, value in _IMG_DEFAULTS if name not in present
        )
        return f"<img{attributes}{missing}>"

    return _SANITISED_IMG.sub(complete, html)


def render_markdown(text, base_url="/"):
    """Render Markdown (with raw HTML and old Liquid) to sanitised HTML.

    This is also django-markdownx's ``MARKDOWNX_MARKDOWNIFY_FUNCTION``, so the admin's
    live preview shows exactly what the site will show.
    """
    if not text:
        return ""
    source = resolve_liquid(_CONTROL_CHARACTERS.sub("", text), base_url=base_url)
    html = markdown.markdown(source, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    html = _legacy_figures(html)
    return _complete_images(sanitize_html(html))


def excerpt_from_html(html, words=40, chars=160):
    """A plain-text summary taken from rendered HTML, for lists and meta descriptions.

    Cut at ``words`` words, or at ``chars`` characters for text without spaces between
    words (Chinese), whichever is shorter. Plain text: templates escape it when shown.
    """
    text = " ".join(unescape(strip_tags(html)).split())
    by_words = Truncator(text).words(words, truncate="…")
    return by_words if len(by_words) <= chars else Truncator(text).chars(chars, truncate="…")
