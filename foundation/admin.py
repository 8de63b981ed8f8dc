from django.contrib import admin


class ContentManageableAdmin(admin.ModelAdmin):
    """Stamps who created and who last changed a ContentManageable row."""

    readonly_fields = ("created_at", "created_by", "updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
