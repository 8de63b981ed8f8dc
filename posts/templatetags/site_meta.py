"""Absolute URLs for page metadata (canonical links, OpenGraph), built on ``SITE_URL``."""

from urllib.parse import urljoin

from django import template
from django.conf import settings
from django.utils.encoding import iri_to_uri

register = template.Library()


@register.filter
def absolute(url):
    """``/news/x/`` → ``https://example.org/news/x/``; an already absolute URL is kept.

    Non-ASCII paths (Chinese category slugs) are percent-encoded, as a URL must be.
    """
    if not url:
        return ""
    return iri_to_uri(urljoin(settings.SITE_URL + "/", str(url)))
