"""Old addresses that moved: a page that would be "not found" answers with its redirect.

Like ``django.contrib.redirects``' ``RedirectFallbackMiddleware``, but on our own
``posts.Redirect`` (no sites framework): only 404 responses look, with one indexed query on
the unquoted path (so ``/%E5%9F%BA%E9%87%91%E4%BC%9A/…`` finds ``/基金会/…``), with or
without the trailing slash.
"""

from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect

from posts.models import Redirect


class RedirectFallbackMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A path with a NUL byte names no page, and PostgreSQL refuses it in a query.
        if response.status_code != 404 or "\x00" in request.path:
            return response
        redirect = Redirect.objects.for_path(request.path)
        if redirect is None:
            return response
        if redirect.is_permanent:
            return HttpResponsePermanentRedirect(redirect.target_path)
        return HttpResponseRedirect(redirect.target_path)
