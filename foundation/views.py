import sys

from django.db.models import F
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from posts.models import Post
from projects.views import registry

HOME_POSTS = 6
HOME_PROJECTS = 6


def home(request):
    """Latest news and the most recently donated projects."""
    return render(
        request,
        "home.html",
        {
            "posts": Post.objects.published().for_list().language_first()[:HOME_POSTS],
            "projects": registry()
            .filter(donated_on__isnull=False)
            .order_by(F("donated_on").desc(), "name")[:HOME_PROJECTS],
        },
    )


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    """A self-contained page: no context processors, no database, nothing that can fail again.

    A lost database raised outside a view (by a middleware) gets the 503 page instead."""
    from foundation.middleware import DATABASE_DOWN_ERRORS, database_unavailable

    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_DOWN_ERRORS):
        return database_unavailable(request, exception)
    return HttpResponseServerError(loader.get_template("500.html").render())


def search(request):
    """One page over news, projects and donors (foundation/search.py does the work)."""
    from foundation.search import search as run_search

    results = run_search(request.GET)
    page = results.page
    return render(
        request,
        "search.html",
        {
            "search": results,
            "query": results.query,
            "form": results.form,
            "page_obj": page,
            "paginator": page.paginator if page else None,
            "is_paginated": bool(page and page.has_other_pages()),
        },
    )
