"""The editors' admin for the registry: areas, donors, projects and their donations.

Lists and change pages run a fixed number of queries whatever the number of rows: counts
are annotated, foreign keys joined, and the donor names shown in a project's donation rows
are looked up once for the whole inline (see ``DonationFormSet``).

Project and donor logos are checked as every other upload of the site is
(``posts.forms.UploadedImageField`` and ``validate_uploaded_image``): a real, complete JPEG,
PNG, WebP or GIF, not too big on disk nor in pixels; SVG is refused.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from foundation.admin import ContentManageableAdmin, PlainTextHelpMixin, PublicContentAdmin
from posts.forms import UploadedImageField, validate_uploaded_image
from projects.models import Area, Donation, Donor, Project


class LogoAdminForm(forms.ModelForm):
    """The project and donor forms: the logo is validated like every upload of the site.

    The admin builds the form for its model (``ModelAdmin.get_form``), keeping this
    ``Meta.field_classes``.
    """

    class Meta:
        field_classes = {"logo": UploadedImageField}  # size, pixels and truncation checks

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if isinstance(upload, UploadedFile):  # a new upload; an unchanged logo is a FieldFile
            validate_uploaded_image(upload)
        return upload


class KnownLabelsAutocompleteSelect(AutocompleteSelect):
    """An autocomplete whose selected option's label may be given in advance.

    Django's autocomplete widget runs one query per rendered widget to label the selected
    value; in an inline of fifty donations that is fifty queries. The formset fills
    ``known_labels`` once for all its rows; unknown values fall back to the query.
    """

    known_labels = None

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if self.known_labels is None or not selected <= self.known_labels.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        for pk in sorted(selected):
            options.append(
                self.create_option(name, pk, self.known_labels[pk], selected, len(options))
            )
        return [(None, options, 0)]


class DonationFormSet(BaseInlineFormSet):
    @cached_property
    def donor_labels(self):
        """Names of every donor the rows show: saved rows come with their donor joined;
        donors only named in submitted data are fetched in one query."""
        labels = {str(donation.donor_id): str(donation.donor) for donation in self.get_queryset()}
        if self.is_bound:
            submitted = {
                str(self.data.get(f"{self.add_prefix(i)}-donor"))
                for i in range(self.total_form_count())
            }
            missing = {value for value in submitted if value.isdigit()} - labels.keys()
            if missing:
                labels.update(
                    (str(donor.pk), str(donor)) for donor in Donor.objects.filter(pk__in=missing)
                )
        return labels

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        widget = form.fields["donor"].widget
        widget = getattr(widget, "widget", widget)  # inside RelatedFieldWidgetWrapper
        if isinstance(widget, KnownLabelsAutocompleteSelect):
            widget.known_labels = self.donor_labels
        return form


class DonationInline(PlainTextHelpMixin, admin.TabularInline):
    model = Donation
    formset = DonationFormSet
    fields = ("donor", "role", "order", "signed_on", "notes")
    autocomplete_fields = ("donor",)
    ordering = ("order", "id")
    extra = 1
    verbose_name = _("donor")
    verbose_name_plural = _("donors (in the order the project page lists them)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("donor", "project")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "donor":
            kwargs["widget"] = KnownLabelsAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_extra(self, request, obj=None, **kwargs):
        # A new project gets one empty row to fill in; an existing one adds rows on demand.
        return 1 if obj is None else 0


class ProjectDonationInline(admin.TabularInline):
    """A donor's donations, read-only, each linking to its project's admin page."""

    model = Donation
    fields = ("project_link", "role", "order", "signed_on")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("donated project")
    verbose_name_plural = _("donated projects")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("project", "donor")
            .order_by("project__name")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # edited from the project's page, where the order of donors is set

    @admin.display(description=_("project"))
    def project_link(self, donation):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:projects_project_change", args=[donation.project_id]),
            donation.project.name,
        )


@admin.register(Area)
class AreaAdmin(PublicContentAdmin):
    ordering = ("position", "name")  # explicit: an annotated query drops Meta.ordering
    list_display = ("name", "slug", "position", "project_count")
    list_editable = ("position",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(project_count=Count("projects"))

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, area):
        return area.project_count


@admin.register(Donor)
class DonorAdmin(ContentManageableAdmin):
    form = LogoAdminForm
    ordering = ("name",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "kind", "is_public", "project_count", "website")
    list_filter = ("kind", "is_public")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ProjectDonationInline,)
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "is_public", "website", "logo")}),
        (_("About"), {"fields": ("description",)}),
        (
            _("History"),
            {
                "classes": ("collapse",),
                "fields": ("created_at", "created_by", "updated_at", "updated_by"),
            },
        ),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by", "updated_by")
            .annotate(project_count=Count("donations"))
        )

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, donor):
        return donor.project_count


@admin.register(Project)
class ProjectAdmin(ContentManageableAdmin):
    form = LogoAdminForm
    ordering = ("name",)
    formfield_overrides = {
        MarkdownxField: {"widget": AdminMarkdownxWidget},
        models.URLField: {"assume_scheme": "https"},
    }
    list_display = ("name", "area", "stage", "donated_on", "donor_count", "license")
    list_filter = ("area", "stage")
    list_select_related = ("area",)
    search_fields = ("name", "summary")
    prepopulated_fields = {"slug": ("name",)}
    date_hierarchy = "donated_on"
    inlines = (DonationInline,)
    fieldsets = (
        (None, {"fields": ("name", "slug", "summary", "area", "license")}),
        (_("Links"), {"fields": ("homepage", "repository", "logo")}),
        (_("Description"), {"fields": ("description",)}),
        (
            _("Stage"),
            {
                "description": _("The current stage, and the date the project reached each step."),
                "fields": (
                    "stage",
                    ("donated_on", "accepted_on"),
                    ("incubating_on", "graduated_on", "archived_on"),
                ),
            },
        ),
        (
            _("History"),
            {
                "classes": ("collapse",),
                "fields": ("created_at", "created_by", "updated_at", "updated_by"),
            },
        ),
    )

    class Media:
        css = {"all": ("posts/admin/markdownx-editor.css",)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("area", "created_by", "updated_by")
            .annotate(donor_count=Count("donations"))
        )

    @admin.display(description=_("donors"), ordering="donor_count")
    def donor_count(self, project):
        return project.donor_count
