"""The editors' list of redirects (``posts.Redirect``).

The form is validated by ``Redirect.clean``: a loop is an error on the target field, and a
target that is itself redirected is replaced by the final address. Saving collapses chains
(``Redirect.save_collapsing``). Bulk loading is ``manage.py import_redirects FILE.csv``.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from posts.models import Redirect


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
