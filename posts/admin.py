"""The editors' admin for news posts and their categories.

The body is written in markdownx's editor: its live preview posts to our
permission-protected ``markdownx/markdownify/`` endpoint, which renders with
``posts.markup.render_markdown``, the renderer the public site uses, so the preview
shows what visitors will see. Images dropped on the editor go to ``markdownx/upload/``
(validated by ``posts.forms.MarkdownImageForm``).

Export and import (buttons, action and pages) come from ``posts.admin_io``.

Lists and change pages run a fixed number of queries whatever the number of rows:
``get_queryset`` joins or prefetches everything the columns and widgets read.
"""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from foundation.admin import ContentManageableAdmin, PlainTextHelpMixin
from posts.admin_io import PostExportImportAdminMixin
from posts.forms import PostAdminForm
from posts.models import Category, Post

THUMBNAIL_WIDTH = 120


def hero_thumbnail_html(post, width=THUMBNAIL_WIDTH):
    if not post.hero_image:
        return ""
    return format_html(
        '<img src="{}" alt="{}" width="{}" loading="lazy" '
        'style="height:auto;max-width:100%;border-radius:4px">',
        post.hero_image.url,
        post.hero_image_alt,
        width,
    )


class PostChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # Lists never load the Markdown source or the rendered body (search still reaches
        # the body: deferring a column does not stop filtering on it).
        return (
            super().get_queryset(request, exclude_parameters).defer("body", "body_html", "extras")
        )


@admin.register(Category)
class CategoryAdmin(PlainTextHelpMixin, admin.ModelAdmin):
    ordering = ("position", "name")  # explicit: an annotated query drops Meta.ordering
    list_display = ("name", "slug", "position", "post_count")
    list_editable = ("position",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(description=_("posts"), ordering="post_count")
    def post_count(self, category):
        return category.post_count


@admin.register(Post)
class PostAdmin(PostExportImportAdminMixin, ContentManageableAdmin):
    form = PostAdminForm
    formfield_overrides = {MarkdownxField: {"widget": AdminMarkdownxWidget}}
    list_display = (
        "title",
        "thumbnail",
        "status",
        "publish_at",
        "category_list",
        "language",
        "is_published",
        "view_on_site_link",
    )
    list_display_links = ("title",)
    list_filter = ("status", "categories", "language")
    date_hierarchy = "publish_at"
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("projects",)
    filter_horizontal = ("categories",)
    readonly_fields = ("hero_thumbnail", *ContentManageableAdmin.readonly_fields)
    actions = ("publish", "unpublish")
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("title", "slug", "status", "publish_at", "language")}),
        (_("Byline"), {"fields": ("author", "author_name")}),
        (_("Content"), {"fields": ("summary", "body")}),
        (
            _("Hero image"),
            {
                "fields": (
                    "hero_image",
                    "hero_thumbnail",
                    "hero_image_alt",
                    "hero_image_caption",
                )
            },
        ),
        (_("Categories and projects"), {"fields": ("categories", "projects")}),
        (
            _("Search engines and social sites"),
            {
                "classes": ("collapse",),
                "fields": ("meta_title", "meta_description", "canonical_url"),
            },
        ),
        (
            _("Imported from the old site"),
            {"classes": ("collapse",), "fields": ("extras",)},
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
            .select_related("author", "created_by", "updated_by")
            .prefetch_related("categories")
        )

    def get_changelist(self, request, **kwargs):
        return PostChangeList

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("author", request.user.pk)
        return initial

    @admin.display(description=_("image"))
    def thumbnail(self, post):
        return hero_thumbnail_html(post, width=64)

    @admin.display(description=_("current hero image"))
    def hero_thumbnail(self, post):
        return hero_thumbnail_html(post, width=320) or _("No image yet.")

    @admin.display(description=_("categories"))
    def category_list(self, post):
        return ", ".join(category.name for category in post.categories.all())

    @admin.display(description=_("on the site"))
    def view_on_site_link(self, post):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            post.get_absolute_url(),
            _("View on site") if post.is_published() else _("Preview"),
        )

    @admin.action(description=_("Publish the selected posts"), permissions=["change"])
    def publish(self, request, queryset):
        now = timezone.now()
        to_publish = queryset.exclude(status=Post.Status.PUBLISHED)
        scheduled = to_publish.filter(publish_at__gt=now).count()
        count = to_publish.update(
            status=Post.Status.PUBLISHED, updated_by=request.user, updated_at=now
        )
        message = ngettext(
            "%(count)d post was published.", "%(count)d posts were published.", count
        ) % {"count": count}
        if scheduled:
            message += " " + ngettext(
                "%(count)d of them has a future publish date and appears at that time.",
                "%(count)d of them have a future publish date and appear at that time.",
                scheduled,
            ) % {"count": scheduled}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(
        description=_("Unpublish the selected posts (back to draft)"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        count = queryset.exclude(status=Post.Status.DRAFT).update(
            status=Post.Status.DRAFT, updated_by=request.user, updated_at=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d post was moved back to draft.",
                "%(count)d posts were moved back to draft.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
