"""Page metadata: absolute URLs on ``SITE_URL``, JSON-LD structured data and breadcrumbs.

JSON-LD is built as Python dicts here (``post_json_ld``, ``project_json_ld``,
``website_json_ld``) and printed by one function, ``json_ld_script``, which escapes ``<``, ``>``
and ``&`` the way Django's ``json_script`` does, so that a title containing ``</script>`` stays
inside the string it belongs to.
"""

import json
from urllib.parse import urljoin

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from posts import feeds
from posts.models import Language

register = template.Library()

SCHEMA = "https://schema.org"
# Django's json_script escapes: inside <script>, "<", ">" and "&" must never appear raw.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def absolute(url):
    """``/news/x/`` → ``https://example.org/news/x/``; an already absolute URL is kept.

    Non-ASCII paths (Chinese category slugs) are percent-encoded, as a URL must be.
    """
    if not url:
        return ""
    return iri_to_uri(urljoin(settings.SITE_URL + "/", str(url)))


def json_ld_script(data):
    """``<script type="application/ld+json">…</script>`` with the data safely escaped."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    # Safe by construction: with <, > and & escaped the text cannot close the script element
    # or start a comment, and JSON has no other way to reach the HTML parser.
    return mark_safe(  # noqa: S308
        f'<script type="application/ld+json">{text.translate(JSON_SCRIPT_ESCAPES)}</script>'
    )


@register.filter(name="iso8601")
def iso(value):
    """A date or datetime as ISO 8601, datetimes in the site's time zone with their offset.

    Whole seconds: ``|date:"c"`` prints microseconds, which HTML's ``<time datetime>`` refuses
    (at most three fraction digits). ``{{ post.publish_at|iso8601 }}`` → 2023-06-11T10:00:00+08:00.
    """
    if value in (None, ""):
        return ""
    if hasattr(value, "hour"):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def publisher():
    """The foundation as the publisher of every page."""
    return {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": f"{settings.SITE_URL}/",
        "logo": {"@type": "ImageObject", "url": absolute(static("img/logo.svg"))},
    }


def post_data(post):
    """``NewsArticle`` for a post. Needs the post's categories (and author) loaded."""
    canonical = post.get_canonical_url()
    data = {
        "@context": SCHEMA,
        "@type": "NewsArticle",
        "headline": post.title,
        "description": post.seo_description,
        "url": canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "datePublished": iso(post.publish_at),
        "dateModified": iso(max(filter(None, [post.publish_at, post.updated_at]))),
        "inLanguage": post.language,
        "publisher": publisher(),
    }
    if post.byline:
        data["author"] = {"@type": "Person", "name": post.byline}
    else:
        data["author"] = publisher()
    if post.hero_image:
        image = {"@type": "ImageObject", "url": absolute(post.hero_image.url)}
        if post.hero_image_width:
            image["width"] = post.hero_image_width
            image["height"] = post.hero_image_height
        if post.hero_image_caption:
            image["caption"] = post.hero_image_caption
        data["image"] = [image]
    sections = [category.name for category in post.categories.all()]
    if sections:
        data["articleSection"] = sections
    return data


def sponsor_data(donor):
    data = {
        "@type": "Person" if donor.kind == donor.Kind.INDIVIDUAL else "Organization",
        "name": donor.name,
        "url": absolute(donor.get_absolute_url()),
    }
    if donor.website:
        data["sameAs"] = donor.website
    return data


def project_data(project):
    """``SoftwareSourceCode`` for a project, its *public* donors as sponsors.

    Reads the donations from ``project.public_donations`` (what ``projects.views.registry()``
    prefetches), so a donor who is not shown publicly can never appear here.
    """
    url = absolute(project.get_absolute_url())
    data = {
        "@context": SCHEMA,
        "@type": "SoftwareSourceCode",
        "@id": url,
        "name": project.name,
        "url": url,
        "creativeWorkStatus": project.get_stage_display(),
    }
    if project.summary:
        data["description"] = project.summary
    if project.repository:
        data["codeRepository"] = project.repository
    if project.homepage:
        data["sameAs"] = project.homepage
    if project.license:
        data["license"] = f"https://spdx.org/licenses/{project.license}.html"
    if project.logo:
        data["image"] = absolute(project.logo.url)
    if project.area_id:
        data["keywords"] = project.area.name
    if project.donated_on:
        data["dateCreated"] = iso(project.donated_on)
    sponsors = [sponsor_data(donation.donor) for donation in project.public_donations]
    if sponsors:
        data["sponsor"] = sponsors
    data["publisher"] = publisher()
    return data


def website_data():
    """``WebSite`` with a ``SearchAction``, so search engines can offer the site's search."""
    return {
        "@context": SCHEMA,
        "@type": "WebSite",
        "name": settings.SITE_NAME,
        "url": f"{settings.SITE_URL}/",
        "publisher": publisher(),
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": f"{absolute(reverse('search'))}?q={{search_term_string}}",
            },
            "query-input": "required name=search_term_string",
        },
    }


@register.simple_tag
def post_json_ld(post):
    return json_ld_script(post_data(post))


@register.simple_tag
def project_json_ld(project):
    return json_ld_script(project_data(project))


@register.simple_tag
def website_json_ld():
    return json_ld_script(website_data())


# What a page can advertise with {% feed_links %}: its RSS and Atom feed classes.
FEEDS = {
    "": (feeds.LatestPostsFeed, feeds.LatestPostsAtomFeed),
    "category": (feeds.CategoryFeed, feeds.CategoryAtomFeed),
    "language": (feeds.LanguageFeed, feeds.LanguageAtomFeed),
    "project": (feeds.ProjectFeed, feeds.ProjectAtomFeed),
    "donor": (feeds.DonorFeed, feeds.DonorAtomFeed),
}
FEED_FORMATS = (("application/rss+xml", "RSS"), ("application/atom+xml", "Atom"))


@register.simple_tag
def feed_links(kind="", obj=None):
    """``<link rel="alternate">`` to a page's RSS and Atom feeds, for feed readers to find.

    ``{% feed_links %}`` is all news; ``{% feed_links "category" category %}`` a category's
    feeds, likewise ``"project"``, ``"donor"`` and ``"language"`` (with a language code).
    Titles and addresses come from the feed classes themselves, so they always agree.
    """
    if kind == "language" and obj not in Language.values:
        return ""  # an interface language that posts cannot be written in has no feed
    return format_html_join(
        "\n  ",
        '<link rel="alternate" type="{}" title="{} ({})" href="{}">',
        (
            (mime, feed.title(obj), label, feed.feed_url(obj))
            for feed, (mime, label) in zip(
                (feed_class() for feed_class in FEEDS[kind]), FEED_FORMATS, strict=True
            )
        ),
    )


@register.inclusion_tag("includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, *trail):
    """``{% breadcrumbs label url label url … current_label %}``: Home › … › this page.

    Labels and URLs alternate; the last label is the current page (not a link). Renders an
    ``aria-label="Breadcrumb"`` navigation and the matching ``BreadcrumbList`` JSON-LD.
    """
    if len(trail) % 2 != 1:
        raise template.TemplateSyntaxError(
            "breadcrumbs takes label/URL pairs followed by the current page's label"
        )
    crumbs = [(_("Home"), reverse("home"))]
    crumbs += [(trail[i], trail[i + 1]) for i in range(0, len(trail) - 1, 2)]
    current = trail[-1]
    request = context.get("request")
    items = [
        {"@type": "ListItem", "position": position, "name": str(label), "item": absolute(url)}
        for position, (label, url) in enumerate(crumbs, start=1)
    ]
    # The current page is the last item; Google takes its URL from the page when absent.
    last = {"@type": "ListItem", "position": len(items) + 1, "name": str(current)}
    if request is not None:
        last["item"] = absolute(request.path)
    items.append(last)
    return {
        "crumbs": crumbs,
        "current": current,
        "json_ld": json_ld_script(
            {"@context": SCHEMA, "@type": "BreadcrumbList", "itemListElement": items}
        ),
    }
