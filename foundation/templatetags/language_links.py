"""The current page in the site's other languages: the language switcher, ``hreflang``
alternates and the "Read in …" link between a post and its translation.

A page's address in another language is the same view under that language's prefix
(``/news/`` ↔ ``/zh-hans/news/``, query string kept), except on a post that has a published
translation: there the other language's version *is* the translation.
"""

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils import translation

register = template.Library()


@register.filter
def bcp47(code):
    """A Django language code as an HTML ``lang`` / ``hreflang`` value (BCP 47):
    ``zh-hans`` → ``zh-Hans``, ``en-gb`` → ``en-GB``."""
    first, *rest = str(code or "").split("-")
    subtags = [first.lower()]
    for subtag in rest:
        if len(subtag) == 4:
            subtags.append(subtag.title())  # script
        elif len(subtag) == 2:
            subtags.append(subtag.upper())  # region
        else:
            subtags.append(subtag.lower())
    return "-".join(subtags)


@register.filter
def language_name_local(code):
    """The language's name in that language: English, 简体中文."""
    try:
        return translation.get_language_info(code)["name_local"]
    except KeyError:
        return code


def _page_in(request, code, current):
    path = request.get_full_path() if request is not None else "/"
    if code == current:
        return path
    url = translate_url(path, code)
    if url == path:  # nothing answers here in that language (a 404 page): its home page
        with translation.override(code):
            url = reverse("home")
    return url


@register.simple_tag(takes_context=True)
def language_versions(context):
    """This page in each of ``LANGUAGES``: ``[{code, lang, name, url, is_current}]``.

    On a post, ``post_translations`` (its published translations, from the view) replace
    the prefixed address for their languages.
    """
    request = context.get("request")
    current = translation.get_language()
    translated = {
        post.language: post.get_absolute_url() for post in context.get("post_translations") or ()
    }
    return [
        {
            "code": code,
            "lang": bcp47(code),
            "name": language_name_local(code),
            "url": translated.get(code) or _page_in(request, code, current),
            "is_current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]


@register.simple_tag(takes_context=True)
def hreflang_alternates(context):
    """``[(hreflang, url)]`` for the page's ``<link rel="alternate">`` tags, ``x-default``
    (the default language's version) last; URLs are paths.

    A post's alternates are the post and its published translations, each at its own
    address, and only when it has one: the same article with the interface in another
    language is not a translation. Every other page has one version per language.
    """
    post = context.get("post")
    if post is not None and "post_translations" in context:
        group = [post, *context["post_translations"]] if context["post_translations"] else []
        versions = [(post.language, post.get_absolute_url()) for post in group]
    else:
        versions = [(v["code"], v["url"]) for v in language_versions(context)]
    if not versions:
        return []
    default = dict(versions).get(settings.LANGUAGE_CODE, versions[0][1])
    return [(bcp47(code), url) for code, url in versions] + [("x-default", default)]
