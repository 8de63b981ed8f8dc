"""The editorial workflow and revisions in the post admin: a ModelAdmin mixin.

Roles (groups made by ``foundation/migrations/0003_workflow_groups``):

- **Authors** have ``add_post`` and ``change_post`` but neither ``view_post`` nor
  ``publish_post``: they see and change only the posts they created, and only while those
  are drafts or in review. They may submit for review (and withdraw), never publish.
- **Editors** have ``publish_post`` besides the model permissions: any post, publish,
  unpublish, schedule (publish with a future date), send back, archive.

The rules are ``Post`` methods (``is_editable_by``, ``transitions_for``, ``statuses_for``);
here every admin path asks them, server-side: the changelist and ``get_object`` (authors'
querysets), ``has_change_permission(request, obj)``, the status field (its choices are the
statuses the user may reach, and anything else posted is refused), the workflow buttons
(``_transition``), the bulk actions (``publish_post`` for publish / unpublish / archive), the
history, compare and restore views.

Every save through the change form and every bulk action keeps a django-reversion revision
(why reversion, and why not its ``VersionAdmin``: ``posts.revisions``). The change form
also carries the ``updated_at`` it was loaded with; a form that went stale meanwhile is not
saved (``WorkflowFormMixin.check_not_stale``).
"""

import reversion
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from foundation.pagecache import content_changed
from posts import revisions
from posts.models import PUBLISH_PERMISSION, TRANSITIONS_BY_NAME, Post

STAMP_FIELD = "loaded_version"
COMMENT_FIELD = "transition_comment"
TRANSITION_PARAM = "_transition"


def version_stamp(post):
    """What the change form remembers of the version it was loaded from."""
    return post.updated_at.isoformat() if post.updated_at else ""


def display_name(user):
    if user is None:
        return gettext("Someone")
    return user.get_full_name() or user.get_username()


def sees_all_posts(user):
    """Editors and readers (exporters) see every post; authors only their own."""
    return user.has_perm("posts.view_post") or user.has_perm(PUBLISH_PERMISSION)


class WorkflowFormMixin:
    """Mixed into the post form by ``PostWorkflowAdminMixin.get_form`` (``user`` is set on
    the class made for each request)."""

    user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        post = self.instance
        self.initial_status = post.status
        self.transition = None
        self.fields[STAMP_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.initial[STAMP_FIELD] = version_stamp(post) if post.pk else ""
        self.fields[COMMENT_FIELD] = forms.CharField(
            label=_("Comment"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
            help_text=_("Kept on the post's history with the status change. Required when "
                        "sending a post back: tell the author what to change."),
        )
        if "status" in self.fields:
            allowed = post.statuses_for(self.user)
            self.fields["status"].choices = [
                (value, label) for value, label in Post.Status.choices if value in allowed
            ]
        if "author" in self.fields and not self.user.has_perm(PUBLISH_PERMISSION):
            # Authors sign as themselves; the user list is none of their business.
            self.fields["author"].queryset = self.fields["author"].queryset.filter(
                Q(pk=self.user.pk) | Q(pk=post.author_id)
            )

    @property
    def changed_data(self):
        # The stamp and the comment are not the post's data: keep them out of the admin's
        # "Changed …" log messages.
        return [name for name in super().changed_data if name not in (STAMP_FIELD, COMMENT_FIELD)]

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            self.check_not_stale()
        name = self.data.get(TRANSITION_PARAM)
        if name:
            self.clean_transition(name, cleaned_data)
        elif "status" in cleaned_data:
            target = cleaned_data["status"]
            if target not in self.instance.statuses_for(self.user):
                raise ValidationError(
                    _("You may not move this post to “%(status)s”."),
                    code="status_not_allowed",
                    params={"status": Post.Status(target).label},
                )
        return cleaned_data

    def clean_transition(self, name, cleaned_data):
        allowed = {t.name: t for t in self.instance.transitions_for(self.user)}
        if name not in allowed:
            transition = TRANSITIONS_BY_NAME.get(name)
            raise ValidationError(
                _("You may not do “%(action)s” to this post while it is %(status)s."),
                code="transition_not_allowed",
                params={
                    "action": transition.label if transition else name,
                    "status": self.instance.get_status_display(),
                },
            )
        self.transition = allowed[name]
        if name == "send_back" and not cleaned_data.get(COMMENT_FIELD, "").strip():
            self.add_error(
                COMMENT_FIELD,
                _("Say what the author should change: the comment goes back with the post."),
            )
        cleaned_data["status"] = self.transition.target

    def check_not_stale(self):
        """Refuse to save over a change made since this form was loaded.

        The form keeps everything the user typed; its stamp moves on to the version now
        saved, so that saving again is a deliberate choice to replace that version.
        """
        loaded = self.data.get(self.add_prefix(STAMP_FIELD))
        current = version_stamp(self.instance)
        if not loaded or loaded == current:
            return  # a client that sends no stamp (a script) is not checked
        data = self.data.copy()
        data[self.add_prefix(STAMP_FIELD)] = current
        self.data = data
        raise ValidationError(
            _("%(who)s changed this post at %(time)s, after you opened it, so your changes "
              "were not saved. Your text is still in the form below. Open the post in a new "
              "tab to see their version; saving this form again replaces it with yours."),
            code="stale",
            params={
                "who": display_name(self.instance.updated_by),
                "time": timezone.localtime(self.instance.updated_at).strftime("%H:%M"),
            },
        )


class PostWorkflowAdminMixin:
    """Goes first in ``PostAdmin``'s bases (see the module docstring)."""

    # --- who sees and changes what ---------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not sees_all_posts(request.user):
            queryset = queryset.filter(created_by=request.user)
        return queryset

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or obj.is_editable_by(request.user)

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return (
            obj is None or sees_all_posts(request.user) or obj.created_by_id == request.user.pk
        )

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_PERMISSION)

    # --- the change form -----------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = kwargs.pop("form", self.form)
        workflow_form = type(
            f"Workflow{form.__name__}", (WorkflowFormMixin, form), {"user": request.user}
        )
        return super().get_form(request, obj, change=change, form=workflow_form, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.state_changes.exclude(comment="").exists():
            fieldsets = ((_("Review"), {"fields": ("review_notes",)}), *fieldsets)
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "review_notes")

    @admin.display(description=_("latest notes"))
    def review_notes(self, post):
        notes = post.state_changes.exclude(comment="").select_related("user")[:3]
        return render_to_string("admin/posts/post/review_notes.html", {"notes": notes})

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        post = obj if obj is not None else Post()
        context["workflow_transitions"] = (
            post.transitions_for(request.user)
            if self.has_change_permission(request, obj) or add
            else []
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with reversion.create_revision():
            reversion.set_user(request.user)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        previous = form.initial_status if change else ""
        comment = form.cleaned_data.get(COMMENT_FIELD, "")
        if previous != obj.status or comment.strip():
            obj.record_state_change(previous, request.user, comment)
        if form.transition is not None:
            request.workflow_done = form.transition.done
            self.message_user(request, form.transition.done, messages.SUCCESS)

    def _revision_comment(self, request, entry):
        if reversion.is_active():
            done = getattr(request, "workflow_done", "")
            reversion.set_comment(" ".join(filter(None, [str(done), entry.get_change_message()])))
        return entry

    def log_addition(self, request, obj, message):
        return self._revision_comment(request, super().log_addition(request, obj, message))

    def log_change(self, request, obj, message):
        return self._revision_comment(request, super().log_change(request, obj, message))

    # --- bulk actions -------------------------------------------------------------------

    def _bulk_transition(self, request, queryset, name):
        """Make the move on every selected post that allows it; returns (moved, skipped)."""
        moved, skipped = [], 0
        for post in Post.objects.filter(pk__in=queryset.values("pk")):
            if any(t.name == name for t in post.transitions_for(request.user)):
                post.transition(name, request.user)
                moved.append(post)
            else:
                skipped += 1
        if moved:
            content_changed()  # visitors' cached pages showed the old states
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected post was left alone: its status does not allow it, "
                    "or you may not change it.",
                    "%(count)d selected posts were left alone: their status does not allow "
                    "it, or you may not change them.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        return moved

    @admin.action(description=_("Submit the selected posts for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        moved = self._bulk_transition(request, queryset, "submit")
        self.message_user(
            request,
            ngettext("%(count)d post was submitted for review.",
                     "%(count)d posts were submitted for review.", len(moved))
            % {"count": len(moved)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Publish the selected posts"), permissions=["publish"])
    def publish(self, request, queryset):
        moved = self._bulk_transition(request, queryset, "publish")
        message = ngettext(
            "%(count)d post was published.", "%(count)d posts were published.", len(moved)
        ) % {"count": len(moved)}
        scheduled = sum(post.is_scheduled for post in moved)
        if scheduled:
            message += " " + ngettext(
                "%(count)d of them has a future publish date and appears at that time.",
                "%(count)d of them have a future publish date and appear at that time.",
                scheduled,
            ) % {"count": scheduled}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(
        description=_("Unpublish the selected posts (take them off the site)"),
        permissions=["publish"],
    )
    def unpublish(self, request, queryset):
        moved = self._bulk_transition(request, queryset, "unpublish")
        self.message_user(
            request,
            ngettext("%(count)d post was unpublished.", "%(count)d posts were unpublished.",
                     len(moved))
            % {"count": len(moved)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Archive the selected posts"), permissions=["publish"])
    def archive(self, request, queryset):
        moved = self._bulk_transition(request, queryset, "archive")
        self.message_user(
            request,
            ngettext("%(count)d post was archived.", "%(count)d posts were archived.",
                     len(moved))
            % {"count": len(moved)},
            messages.SUCCESS,
        )

    # --- history, compare, restore ------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/history/compare/",
                view(self.compare_view),
                name=f"{prefix}_compare",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                view(self.restore_view),
                name=f"{prefix}_restore",
            ),
            *super().get_urls(),
        ]

    def _post_or_404(self, request, object_id):
        post = self.get_object(request, unquote(object_id))
        if post is None:
            raise Http404(gettext("No such post."))
        if not self.has_view_or_change_permission(request, post):
            raise PermissionDenied
        return post

    def history_view(self, request, object_id, extra_context=None):
        post = self.get_object(request, unquote(object_id))
        context = {}
        if post is not None and self.has_view_or_change_permission(request, post):
            context = {
                "state_changes": post.state_changes.select_related("user"),
                "revisions": revisions.versions_of(post)[:200],
                "live_version": revisions.live_version(post),
                "may_restore": post.is_editable_by(request.user),
            }
        return super().history_view(request, object_id, {**context, **(extra_context or {})})

    def _resolve_side(self, post, key):
        """A side of a comparison: "current", "live" or a revision id of this post."""
        if key == "current":
            return gettext("The post as it is now"), revisions.snapshot(post=post)
        if key == "live":
            version = revisions.live_version(post)
        else:
            try:
                version = revisions.versions_of(post).get(pk=int(key))
            except (ValueError, TypeError, revisions.Version.DoesNotExist):
                version = None
        if version is None:
            raise Http404(gettext("No such revision of this post."))
        return revision_label(version), revisions.snapshot(version=version)

    def compare_view(self, request, object_id):
        post = self._post_or_404(request, object_id)
        left_key = request.GET.get("from", "live")
        right_key = request.GET.get("to", "current")
        left_label, left = self._resolve_side(post, left_key)
        right_label, right = self._resolve_side(post, right_key)
        return self._render_comparison(
            request, post, left_label, left, right_label, right,
            title=gettext("Compare versions: %(post)s") % {"post": post},
        )

    def restore_view(self, request, object_id, version_id):
        post = self._post_or_404(request, object_id)
        try:
            version = revisions.versions_of(post).get(pk=version_id)
        except revisions.Version.DoesNotExist:
            raise Http404(gettext("No such revision of this post.")) from None
        if not post.is_editable_by(request.user):
            raise PermissionDenied
        if request.method == "POST":
            revisions.restore_as_draft(post, version, request.user)
            content_changed()  # a live post that became a draft leaves the cached pages
            self.message_user(
                request,
                gettext("The revision of %(date)s is back, as a draft: publish it when it is "
                        "ready.") % {"date": revision_date(version)},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:posts_post_change", args=[post.pk], current_app=self.admin_site.name)
            )
        return self._render_comparison(
            request, post,
            gettext("The post as it is now"), revisions.snapshot(post=post),
            revision_label(version), revisions.snapshot(version=version),
            title=gettext("Restore a revision: %(post)s") % {"post": post},
            restore_version=version,
        )

    def _render_comparison(self, request, post, left_label, left, right_label, right, title,
                           restore_version=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": post,
            "title": title,
            "left_label": left_label,
            "right_label": right_label,
            "rows": revisions.compare(left, right),
            "restore_version": restore_version,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/posts/post/revision_compare.html", context)


def revision_date(version):
    return timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M")


def revision_label(version):
    return gettext("Revision of %(date)s by %(user)s") % {
        "date": revision_date(version),
        "user": display_name(version.revision.user),
    }

