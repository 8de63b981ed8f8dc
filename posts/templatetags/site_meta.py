"""Absolute URLs for page metadata (canonical links, OpenGraph), built on ``SITE_URL``."""

from urllib.parse import urljoin

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def absolute(url):
    """``/news/x/`` → ``https://example.org/news/x/``; an already absolute URL is kept."""
    if not url:
        return ""
    return urljoin(settings.SITE_URL + "/", str(url))
