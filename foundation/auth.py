"""Admin logins throttled against brute force, with django-axes.

Five wrong passwords for one user name from one address lock that pair out for fifteen
minutes (``AXES_*`` in settings); other users, and the same user from elsewhere, are not
affected. The lockout page is ``templates/admin/locked_out.html``.
"""

from axes.backends import AxesStandaloneBackend


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' backend, for logins that come with a request.

    Every login form (the admin's included) passes the request to ``authenticate()``, so
    every attempt from outside is counted. Code of our own that checks a password without
    a request (a management command, the test client's ``login()``) has no visitor to
    throttle: it is left to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_out(request, original_response, credentials):
    """The page a locked-out login gets (``AXES_LOCKOUT_CALLABLE``): what happened, and how
    long to wait, with HTTP 429."""
    from axes.helpers import get_client_username, get_failure_limit
    from django.conf import settings
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "admin/locked_out.html",
        {
            "username": get_client_username(request, credentials) or "",
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_minutes": minutes,
        },
        status=429,
    )
