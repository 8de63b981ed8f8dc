"""The yardstick `manage.py bench` measures every page against.

A view that does no work at all, served by the same server through the same middleware
(sessions, CSRF, security headers, the page cache, logging) as the real pages, so that
"page req/s ÷ bare req/s" says how much the page itself costs. Routed only when
``settings.BENCHMARK_VIEWS`` is on (``DJANGO_BENCHMARK_VIEWS=1``).
"""

from django.http import HttpResponse


def bare(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
