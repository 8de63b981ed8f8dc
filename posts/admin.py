"""The editors' admin for news posts and their categories.

The body is written in markdownx's editor: its live preview posts to our
permission-protected ``markdownx/markdownify/`` endpoint, which renders with
``posts.markup.render_markdown``, the renderer the public site uses, so the preview
shows what visitors will see. Images dropped on the editor go to ``markdownx/upload/``
(validated by ``posts.forms.MarkdownImageForm``).

Export and import (buttons, action and pages) come from ``posts.admin_io``.
Roles, workflow states, revisions and the stale-form check come from
``posts.admin_workflow``. The body editor's "Insert image from the library" dialog comes
from ``posts.admin_picker``.

Lists and change pages run a fixed number of queries whatever the number of rows:
``get_queryset`` joins or prefetches everything the columns and widgets read.
"""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from foundation.admin import ContentManageableAdmin, PublicContentAdmin
from foundation.pagecache import content_changed
from posts import images
from posts.admin_io import PostExportImportAdminMixin
from posts.admin_media import ImageAdmin  # noqa: F401 - registers it
from posts.admin_picker import PostImagePickerAdminMixin
from posts.admin_redirects import RedirectAdmin  # noqa: F401 - registers it
from posts.admin_review import PostReviewAdminMixin
from posts.admin_workflow import PostWorkflowAdminMixin
from posts.forms import PostAdminForm
from posts.models import Category, Post, Redirect

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


def live_url_before(form):
    """The address the post of a change form had when the form was loaded, if it was live
    (published) there."""
    initial = form.initial
    if initial.get("status") != Post.Status.PUBLISHED or not initial.get("slug"):
        return None
    return Post(slug=initial["slug"], language=initial.get("language")).get_absolute_url()


class PostChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # Lists never load the Markdown source or the rendered body (search still reaches
        # the body: deferring a column does not stop filtering on it).
        return (
            super().get_queryset(request, exclude_parameters).defer("body", "body_html", "extras")
        )


@admin.register(Category)
class CategoryAdmin(PublicContentAdmin):
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
class PostAdmin(
    PostImagePickerAdminMixin,
    PostReviewAdminMixin,
    PostWorkflowAdminMixin,
    PostExportImportAdminMixin,
    ContentManageableAdmin,
):
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
    autocomplete_fields = ("projects", "translation_of")
    filter_horizontal = ("categories",)
    readonly_fields = (
        "hero_thumbnail",
        "images_without_alt",
        *ContentManageableAdmin.readonly_fields,
    )
    actions = ("submit_for_review", "publish", "unpublish", "archive")  # admin_workflow.py
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("title", "slug", "status", "publish_at", "expire_at", "language",
                           "translation_of")}),
        (_("Byline"), {"fields": ("author", "author_name")}),
        (_("Content"), {"fields": ("summary", "body", "images_without_alt")}),
        (
            _("Hero image"),
            {
                "fields": (
                    "hero_image",
                    "library_image",  # posts/forms.py: a hero image from the media library
                    "hero_thumbnail",
                    ("hero_focal_x", "hero_focal_y"),
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
        css = {
            "all": (
                "posts/admin/markdownx-editor.css",
                "posts/admin/workflow.css",
                "posts/admin/image-picker.css",
            )
        }
        js = (
            "posts/admin/local-draft.js",  # the body's unsaved copy in the browser
            "posts/admin/image-picker.js",  # images from the library into the body
        )

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

    @admin.display(description=_("images without alt text"))
    def images_without_alt(self, post):
        missing = images.images_without_alt(post.body_html)
        if not missing:
            return _("None: every image in the body is described.")
        return format_html(
            "{}<ul>{}</ul>",
            _("Screen readers skip these images. Describe each one: ![what it shows](…)."),
            format_html_join("", "<li>{}</li>", ((src,) for src in missing)),
        )

    def save_model(self, request, obj, form, change):
        old_url = live_url_before(form) if change else None
        super().save_model(request, obj, form, change)
        if old_url:  # a published post's new slug: its old address redirects (a 301)
            Redirect.objects.record_move(
                old_url, obj.get_absolute_url(), note=str(_("Slug changed"))
            )
        obj.update_renditions()  # resized copies of the hero and body images (posts/images.py)
        missing = images.images_without_alt(obj.body_html)
        if missing:
            self.message_user(
                request,
                ngettext(
                    "%(count)d image in the body has no alt text: describe it for people who "
                    "cannot see it.",
                    "%(count)d images in the body have no alt text: describe them for people "
                    "who cannot see them.",
                    len(missing),
                )
                % {"count": len(missing)},
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        images.delete_posts(obj)  # and, once committed, the renditions no other post uses
        content_changed()

    def delete_queryset(self, request, queryset):
        images.delete_posts(queryset)
        content_changed()

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
