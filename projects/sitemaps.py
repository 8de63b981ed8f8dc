"""Sitemap sections for the registry: projects and public donors (see ``posts/sitemaps.py``)."""

from django.db.models import Max

from posts.sitemaps import BilingualSitemap
from projects.models import Donor, Project


class ProjectSitemap(BilingualSitemap):
    def items(self):
        return Project.objects.only("slug", "updated_at")

    def lastmod(self, project):
        return project.updated_at

    def latest_lastmod_query(self):
        return Project.objects.aggregate(latest=Max("updated_at"))["latest"]


class DonorSitemap(BilingualSitemap):
    def items(self):
        return Donor.objects.public().only("slug", "updated_at")

    def lastmod(self, donor):
        return donor.updated_at

    def latest_lastmod_query(self):
        return Donor.objects.public().aggregate(latest=Max("updated_at"))["latest"]
