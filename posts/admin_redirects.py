"""The editors' list of redirects (``posts.Redirect``), and its "Import CSV" page.

The form is validated by ``Redirect.clean``: a loop is an error on the target field, and a
target that is itself redirected is replaced by the final address. Saving collapses chains
(``Redirect.save_collapsing``).

"Import CSV" (``import/``, for those who may add and change redirects) uploads a file read
by ``posts.imports.redirects``, as ``manage.py import_redirects FILE.csv`` does, and shows
what became of every row: created, updated (the old path already redirected), or refused
with the reason. As with WordPress's Redirection plugin, each row is saved on its own: a bad
row saves nothing of itself and the good ones are imported; fix the refused rows and upload
them again (re-importing updates, it never duplicates).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from posts.imports.redirects import import_redirects
from posts.models import Redirect

MAX_CSV_SIZE = 5 * 1024 * 1024  # bytes; a site's redirects fit many times over


class RedirectImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One redirect a line: old path, target, permanent (yes or no) and a note, or a "
            "file exported by WordPress's Redirection plugin. A first line naming the columns "
            "is read as a header. UTF-8."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_SIZE:
            raise forms.ValidationError(
                _("The file is too big: a CSV of redirects is at most 5 MB.")
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.")
            ) from None


@admin.register(Redirect)
class RedirectAdmin(admin.ModelAdmin):
    list_display = ("old_path", "target_link", "is_permanent", "created_at", "note")
    list_filter = ("is_permanent",)
    search_fields = ("old_path", "target_path", "note")
    date_hierarchy = "created_at"
    fields = ("old_path", "target_path", "is_permanent", "note")
    list_per_page = 100

    @admin.display(description=_("target"), ordering="target_path")
    def target_link(self, redirect):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            redirect.target_path,
            redirect.target_path,
        )

    def save_model(self, request, obj, form, change):
        obj.save_collapsing()  # redirects that led to this old path now skip it

    # --- Import CSV --------------------------------------------------------------------------

    def has_import_permission(self, request):
        """Importing adds redirects and changes those whose old path is in the file."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "has_import_permission": self.has_import_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import redirects from a CSV file"),
            "changelist_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            ),
        }
        form = RedirectImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = import_redirects(form.cleaned_data["file"])
            context |= {"report": report, "file_name": request.FILES["file"].name}
            return TemplateResponse(request, "admin/posts/redirect/import_report.html", context)
        context["form"] = form
        return TemplateResponse(request, "admin/posts/redirect/import_form.html", context)
