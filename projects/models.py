"""The registry of donated projects: technical areas, donors and who donated what."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from foundation.models import ContentManageable
from posts.markup import render_markdown


class Area(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Lower numbers come first in filters and lists.")
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("technical area")
        verbose_name_plural = _("technical areas")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("projects:list") + f"?area={self.slug}"


class DonorQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)


class Donor(ContentManageable):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        ACADEMIC = "academic", _("University or research institute")
        FOUNDATION = "foundation", _("Foundation")
        INDIVIDUAL = "individual", _("Individual")

    name = models.CharField(_("name"), max_length=300, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to="donors/%Y/",
        blank=True,
        help_text=_("Square or landscape, on a transparent or white background."),
    )
    description = models.TextField(_("description"), blank=True)
    is_public = models.BooleanField(
        _("shown publicly"),
        default=True,
        help_text=_("Untick to keep this donor off the public site (its projects stay listed)."),
    )

    objects = DonorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("projects:donor-detail", kwargs={"slug": self.slug})


class Project(ContentManageable):
    class Stage(models.TextChoices):
        DONATED = "donated", _("Donated")
        ACCEPTED = "accepted", _("Accepted by the TOC")
        INCUBATING = "incubating", _("Incubating")
        GRADUATED = "graduated", _("Graduated")
        ARCHIVED = "archived", _("Archived")

    # The date field recording when the project reached each stage.
    STAGE_DATE_FIELDS = {
        Stage.DONATED: "donated_on",
        Stage.ACCEPTED: "accepted_on",
        Stage.INCUBATING: "incubating_on",
        Stage.GRADUATED: "graduated_on",
        Stage.ARCHIVED: "archived_on",
    }

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.CharField(
        _("summary"), max_length=300, blank=True, help_text=_("One line, shown in the registry.")
    )
    description = MarkdownxField(_("description"), blank=True, help_text=_("Markdown."))
    description_html = models.TextField(blank=True, editable=False)
    homepage = models.URLField(_("homepage"), blank=True)
    repository = models.URLField(_("repository URL"), blank=True)
    license = models.CharField(
        _("licence"),
        max_length=100,
        blank=True,
        help_text=_("SPDX identifier, e.g. Apache-2.0 or MulanPSL-2.0."),
    )
    logo = models.ImageField(_("logo"), upload_to="projects/%Y/", blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("technical area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.DONATED, db_index=True
    )
    donated_on = models.DateField(_("donated on"), null=True, blank=True, db_index=True)
    accepted_on = models.DateField(_("accepted by the TOC on"), null=True, blank=True)
    incubating_on = models.DateField(_("incubating since"), null=True, blank=True)
    graduated_on = models.DateField(_("graduated on"), null=True, blank=True)
    archived_on = models.DateField(_("archived on"), null=True, blank=True)
    donors = models.ManyToManyField(
        Donor, through="Donation", related_name="projects", verbose_name=_("donors")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("projects:detail", kwargs={"slug": self.slug})

    @property
    def stage_history(self):
        """The stages this project has reached, oldest first, as (label, date) pairs."""
        reached = []
        for stage, field in self.STAGE_DATE_FIELDS.items():
            date = getattr(self, field)
            if date:
                reached.append((stage.label, date))
        return sorted(reached, key=lambda item: item[1])

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)


class Donation(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead donor")
        CO_DONOR = "co", _("Co-donor")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="donations"
    )
    donor = models.ForeignKey(
        Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="donations"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.LEAD)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Donors are listed in this order on the project page.")
    )
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Not shown publicly."))

    class Meta:
        ordering = ["project", "order", "id"]
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        constraints = [
            models.UniqueConstraint(fields=["project", "donor"], name="unique_donation"),
        ]

    def __str__(self):
        return f"{self.donor} → {self.project}"
