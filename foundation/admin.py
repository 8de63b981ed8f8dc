"""Admin pieces every app's admin shares."""

from django.contrib import admin
from django.utils.html import escape

from foundation.pagecache import content_changed


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


class PublicContentAdmin(PlainTextHelpMixin, admin.ModelAdmin):
    """Admin for what visitors see: every save or delete drops the cached public pages.

    ``save_related`` runs last in a save (after the row and its many-to-many links), so
    the cache is dropped once what visitors will see is complete.
    """

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        content_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        content_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        content_changed()


class ContentManageableAdmin(PublicContentAdmin):
    """Stamps who created and who last changed a ContentManageable row."""

    readonly_fields = ("created_at", "created_by", "updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
