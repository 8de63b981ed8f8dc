"""Admin pieces every app's admin shares."""

from django.contrib import admin
from django.utils.html import escape


class PlainTextHelpMixin:
    """Shows model help texts as the plain text they are.

    The admin prints help texts as HTML, so "/news/<slug>/" would lose its "<slug>".
    Our help texts never contain markup; escape them.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and formfield.help_text:
            formfield.help_text = escape(formfield.help_text)
        return formfield


class ContentManageableAdmin(PlainTextHelpMixin, admin.ModelAdmin):
    """Stamps who created and who last changed a ContentManageable row."""

    readonly_fields = ("created_at", "created_by", "updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
