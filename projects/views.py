"""The public registry: donated projects, filterable by area, stage and donor, and donors.

Donors who asked not to be shown (``is_public=False``) never appear by name or link: their
pages are 404s, they are left out of filters and lists, and a project page only says how
many donors are not named.
"""

from django.conf import settings
from django.core.validators import slug_unicode_re
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from posts.models import Post
from projects.models import Area, Donation, Donor, Project

# How many of the latest news items a project or donor page lists.
PROJECT_NEWS = 10


def public_donations():
    """Donations by public donors, in the project's donation order (lead first)."""
    return (
        Donation.objects.filter(donor__is_public=True)
        .select_related("donor")
        .only(
            "project_id",
            "role",
            "order",
            "signed_on",
            "donor__name",
            "donor__slug",
            "donor__kind",  # Person or Organization in the project's JSON-LD
            "donor__website",
        )
        .order_by("order", "id")
    )


def registry():
    """Projects with their area and public donors, loaded in a fixed number of queries."""
    return Project.objects.select_related("area").prefetch_related(
        Prefetch("donations", queryset=public_donations(), to_attr="public_donations")
    )


def valid_slug(value):
    """A filter value that cannot be a slug (say, one with a NUL byte) is a 404, not a query."""
    if not slug_unicode_re.match(value):
        raise Http404(_("No such filter value."))
    return value


class ProjectViewMixin:
    model = Project

    def get_queryset(self):
        return registry()


class ProjectListView(ProjectViewMixin, ListView):
    """The registry. ``?area=<slug>``, ``?stage=<value>``, ``?donor=<slug>``; empty = any.

    An unknown (or non-public) value is a 404, like an unknown slug in a path.
    """

    def get_paginate_by(self, queryset):
        return settings.PROJECTS_PER_PAGE

    def get_filters(self):
        params = self.request.GET
        filters = {}
        if slug := params.get("area"):
            filters["area"] = get_object_or_404(Area, slug=valid_slug(slug))
        if stage := params.get("stage"):
            if stage not in Project.Stage.values:
                raise Http404(_("No such stage."))
            filters["stage"] = Project.Stage(stage)
        if slug := params.get("donor"):
            filters["donor"] = get_object_or_404(Donor.objects.public(), slug=valid_slug(slug))
        return filters

    def get_queryset(self):
        self.filters = self.get_filters()
        projects = super().get_queryset()
        if "area" in self.filters:
            projects = projects.filter(area=self.filters["area"])
        if "stage" in self.filters:
            projects = projects.filter(stage=self.filters["stage"])
        if "donor" in self.filters:
            projects = projects.filter(donations__donor=self.filters["donor"])
        return projects

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filters=self.filters,
            areas=Area.objects.only("name", "slug"),
            stages=Project.Stage.choices,
            donors=Donor.objects.public().only("name", "slug"),
            **kwargs,
        )


class ProjectDetailView(ProjectViewMixin, DetailView):
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(
                unnamed_donor_count=Count("donations", filter=Q(donations__donor__is_public=False))
            )
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            posts=Post.objects.published()
            .for_list()
            .filter(projects=self.object)
            .language_first()[:PROJECT_NEWS],
            **kwargs,
        )


class DonorViewMixin:
    model = Donor

    def get_queryset(self):
        return Donor.objects.public()


class DonorListView(DonorViewMixin, ListView):
    def get_queryset(self):
        # Meta.ordering does not apply to aggregating queries: order explicitly.
        return (
            super()
            .get_queryset()
            .only("name", "slug", "kind")
            .annotate(project_count=Count("donations"))
            .order_by("name")
        )


class DonorDetailView(DonorViewMixin, DetailView):
    def get_context_data(self, **kwargs):
        donor = self.object
        projects = (
            registry()
            .filter(donations__donor=donor)
            .order_by(F("donated_on").desc(nulls_last=True), "name")
        )
        posts = (
            Post.objects.published()
            .for_list()
            .filter(projects__donations__donor=donor)
            .language_first()
            .distinct()[:PROJECT_NEWS]
        )
        return super().get_context_data(projects=projects, posts=posts, **kwargs)
