"""Review tools on the post's change page: share links and the pre-publish checks.

- **Share links** (``posts.ShareLink``): an editor who may change the post creates a signed,
  expiring link that shows it to anyone, and revokes it. Both are POST-only admin views that
  check ``has_change_permission(request, post)`` on the server; the panel is drawn by
  ``templates/admin/posts/post/change_form.html``.
- **Pre-publish checks** (``posts.prepublish``): warnings shown on the form, never blocking.
- A hero image uploaded on the post's form joins the media library (``posts.Image``).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from posts.models import Image, ShareLink


class PostReviewAdminMixin:
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return ((_("Before publishing"), {"fields": ("prepublish_checks",)}), *fieldsets)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "prepublish_checks")

    @admin.display(description=gettext_lazy("checks"))
    def prepublish_checks(self, post):
        warnings = post.prepublish_warnings()
        if not warnings:
            return _("Nothing to fix: alt texts, hero image, summary, links and title look right.")
        return format_html(
            '<div class="prepublish-warnings" role="status"><p>{}</p><ul>{}</ul></div>',
            _("Worth fixing before publishing (saving and publishing still work):"),
            format_html_join("", "<li>{}</li>", ((warning,) for warning in warnings)),
        )

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/share-links/",
                view(require_POST(self.create_share_link_view)),
                name=f"{prefix}_share_create",
            ),
            path(
                "<path:object_id>/share-links/<int:link_id>/revoke/",
                view(require_POST(self.revoke_share_link_view)),
                name=f"{prefix}_share_revoke",
            ),
            *super().get_urls(),
        ]

    def _post_to_share(self, request, object_id):
        post = self.get_object(request, unquote(object_id))
        if post is None:
            raise Http404(_("No such post."))
        if not self.has_change_permission(request, post):
            raise PermissionDenied
        return post

    def _back_to_change_page(self, post):
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[post.pk])
        )

    def create_share_link_view(self, request, object_id):
        post = self._post_to_share(request, object_id)
        link = ShareLink.objects.create(post=post, created_by=request.user)
        self.message_user(
            request,
            _("Share link created. Anyone with it can read this post until %(date)s: %(url)s")
            % {
                "date": link.expires_at.strftime("%Y-%m-%d %H:%M %Z"),
                "url": request.build_absolute_uri(link.get_absolute_url()),
            },
            messages.SUCCESS,
        )
        return self._back_to_change_page(post)

    def revoke_share_link_view(self, request, object_id, link_id):
        post = self._post_to_share(request, object_id)
        link = get_object_or_404(ShareLink, pk=link_id, post=post)
        link.revoke()
        self.message_user(
            request, _("Share link revoked: it no longer opens the post."), messages.SUCCESS
        )
        return self._back_to_change_page(post)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "hero_image" in form.changed_data and obj.hero_image:  # a new upload joins the library
            Image.objects.get_or_create(
                file=obj.hero_image.name,
                defaults={
                    "title": obj.title[:200],
                    "alt_text": obj.hero_image_alt,
                    "caption": obj.hero_image_caption,
                    "uploaded_by": request.user,
                },
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk and self.has_change_permission(request, obj):
            context["share_links"] = [
                (link, request.build_absolute_uri(link.get_absolute_url()))
                for link in obj.share_links.active().select_related("created_by")
            ]
            context["may_share"] = True
        return super().render_change_form(request, context, add, change, form_url, obj)
