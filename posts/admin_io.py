"""Export and import in the post admin: a ModelAdmin mixin.

Thin wrappers around :mod:`posts.exports`, :mod:`posts.imports.restore` and
:mod:`posts.imports.jekyll`:

- the action "Export selected posts" (a page to choose the format, then the download);
- the changelist's "Export" button: the same choice for every post the current filters and
  search show (the ChangeList's own queryset);
- the "Import" page: upload a Jekyll zip or a JSON export, read the dry-run report, confirm.
  Between the two steps the upload waits in a temporary folder, named by a random id that
  travels in a signed, expiring token bound to the user.

Exporting needs ``posts.export_post`` and importing ``posts.import_post``; without them the
button, the action and the pages are absent, and a direct request gets 403. Importing does
not grant publishing: for a user without ``posts.publish_post`` (the Staff importers group)
posts that would go live are imported as drafts, and a published post is never overwritten
(that file or record is refused, the others go on). The management commands, run by the
server's operator, keep full rights.
"""

import shutil
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from foundation.pagecache import content_changed
from posts import exports
from posts.imports import jekyll
from posts.imports.restore import RestoreError, is_json_export, restore
from posts.models import PUBLISH_PERMISSION

FORMAT_PARAM = "export_format"
IMPORT_SALT = "posts.admin_io.import"
IMPORT_MAX_AGE = 60 * 60  # seconds an uploaded file waits for confirmation
IMPORT_DIR_NAME = "foundation-news-imports"


class ExportForm(forms.Form):
    export_format = forms.ChoiceField(
        label=_("Format"),
        choices=[(key, fmt.label) for key, fmt in exports.FORMATS.items()],
        initial="csv",
        widget=forms.RadioSelect,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A zip of a Jekyll site (its _posts folder and images), or a JSON export of this "
            "site (posts.json, or the zip “JSON with images”)."
        ),
    )
    update = forms.BooleanField(
        label=_("Update posts that already exist (Jekyll)"),
        required=False,
        help_text=_(
            "Without it a Jekyll post whose slug exists is skipped. A JSON export always "
            "restores by slug."
        ),
    )


def streaming_export(queryset, fmt):
    response = StreamingHttpResponse(
        exports.export(queryset, fmt), content_type=exports.FORMATS[fmt].content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


def _import_dir():
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()) / IMPORT_DIR_NAME
    folder.mkdir(mode=0o700, exist_ok=True)
    # Uploads nobody confirmed are removed once their token has expired.
    for stale in folder.iterdir():
        if stale.stat().st_mtime < time.time() - IMPORT_MAX_AGE * 2:
            stale.unlink(missing_ok=True)
    return folder


def _run_import(path, kind, *, dry_run, update, user):
    allow_publish = user.has_perm(PUBLISH_PERMISSION)
    with open(path, "rb") as upload:
        if kind == "json":
            report = restore(upload, dry_run=dry_run, user=user, allow_publish=allow_publish)
        else:
            report = jekyll.import_zip(
                upload,
                name=_("uploaded zip"),
                dry_run=dry_run,
                update=update,
                user=user,
                allow_publish=allow_publish,
            )
    if not dry_run:
        content_changed()
    return report


def drafted_posts(report):
    """The posts (slugs) imported as drafts because the user may not publish."""
    if isinstance(report, jekyll.ImportReport):
        return [r.slug for r in report.results if r.drafted and r.status != jekyll.FAILED]
    return report.drafted  # a JSON restore


def drafted_note(report):
    drafted = drafted_posts(report)
    if not drafted:
        return ""
    return ngettext(
        "%(count)d post imported as draft: you may not publish.",
        "%(count)d posts imported as drafts: you may not publish.",
        len(drafted),
    ) % {"count": len(drafted)}


@admin.action(description=_("Export selected posts"))
def export_selected(modeladmin, request, queryset):
    if not modeladmin.has_export_permission(request):
        raise PermissionDenied
    form = ExportForm(request.POST if "export_confirmed" in request.POST else None)
    if form.is_valid():
        return streaming_export(queryset, form.cleaned_data["export_format"])
    select_across = request.POST.get("select_across") == "1"
    selected = (
        request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)[:1]
        if select_across
        else request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    )
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": _("Export selected posts"),
        "form": form,
        "count": queryset.count(),
        "selected": selected,
        "select_across": select_across,
        "action_name": "export_selected",
    }
    return TemplateResponse(request, "admin/posts/post/export_form.html", context)


class PostExportImportAdminMixin:
    """Add to the post ModelAdmin: ``class PostAdmin(PostExportImportAdminMixin, …)``."""

    def has_export_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.export_{opts.model_name}")

    def has_import_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.import_{opts.model_name}")

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name=f"{prefix}_export",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{prefix}_import",
            ),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_export_permission(request):
            actions["export_selected"] = self.get_action(export_selected)
        return actions

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        extra_context = {
            "has_export_permission": self.has_export_permission(request),
            "has_import_permission": self.has_import_permission(request),
            "export_query": f"?{query}" if query else "",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    # Export: the changelist's filters and search, then a format ---------------------------

    def export_view(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        params = request.GET.copy()
        chosen = params.pop(FORMAT_PARAM, None)
        request.GET = params  # what remains is the changelist's own query
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("These filters do not apply to posts."))
        form = ExportForm({FORMAT_PARAM: chosen[-1]} if chosen else None)
        if form.is_valid():
            return streaming_export(queryset, form.cleaned_data["export_format"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Export posts"),
            "form": form,
            "count": queryset.count(),
            "preserved": [(key, value) for key in params for value in params.getlist(key)],
            "changelist_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
            )
            + (f"?{params.urlencode()}" if params else ""),
        }
        return TemplateResponse(request, "admin/posts/post/export_form.html", context)

    # Import: upload → dry-run report → confirm --------------------------------------------

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        changelist_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import posts"),
            "changelist_url": changelist_url,
        }
        if request.method == "POST" and "token" in request.POST:
            return self._import_confirmed(request, changelist_url)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            kind = "json" if is_json_export(upload) else "jekyll"
            if kind == "jekyll" and not _is_zip(upload):
                form.add_error(
                    "file", _("Upload a zip of a Jekyll site or a JSON export of this site.")
                )
            else:
                key = uuid.uuid4().hex
                stored = _import_dir() / key
                with open(stored, "wb") as target:
                    upload.seek(0)
                    shutil.copyfileobj(upload, target)
                update = form.cleaned_data["update"]
                try:
                    report = _run_import(
                        stored, kind, dry_run=True, update=update, user=request.user
                    )
                except RestoreError as error:
                    stored.unlink(missing_ok=True)
                    form.add_error("file", str(error))
                else:
                    token = signing.dumps(
                        {"key": key, "kind": kind, "update": update, "user": request.user.pk},
                        salt=IMPORT_SALT,
                    )
                    context |= {
                        "report": report,
                        "drafted": drafted_posts(report),
                        "drafted_note": drafted_note(report),
                        "kind": kind,
                        "token": token,
                        "file_name": upload.name,
                    }
                    return TemplateResponse(request, "admin/posts/post/import_report.html", context)
        context["form"] = form
        return TemplateResponse(request, "admin/posts/post/import_form.html", context)

    def _import_confirmed(self, request, changelist_url):
        try:
            data = signing.loads(request.POST["token"], salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
        except signing.BadSignature:
            self.message_user(
                request, _("This import has expired; upload the file again."), messages.ERROR
            )
            return HttpResponseRedirect(request.path)
        if data.get("user") != request.user.pk:
            raise PermissionDenied
        stored = _import_dir() / data["key"]
        if not stored.is_file():
            self.message_user(request, _("This import has already run or expired."), messages.ERROR)
            return HttpResponseRedirect(request.path)
        try:
            report = _run_import(
                stored, data["kind"], dry_run=False, update=data["update"], user=request.user
            )
        except RestoreError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        finally:
            stored.unlink(missing_ok=True)
        failed = report.failed if isinstance(report.failed, int) else len(report.failed)
        summary = " ".join(filter(None, [report.summary(), drafted_note(report)]))
        self.message_user(
            request,
            _("Import finished: %(summary)s") % {"summary": summary},
            messages.WARNING if failed else messages.SUCCESS,
        )
        return HttpResponseRedirect(changelist_url)


def _is_zip(upload):
    upload.seek(0)
    try:
        return zipfile.is_zipfile(upload)
    finally:
        upload.seek(0)
