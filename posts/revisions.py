"""Revisions of posts: what is kept, how two are compared, how one is restored.

Storage is django-reversion rather than django-simple-history:

- reversion keeps each revision as one serialised copy of the whole post, many-to-many
  fields (categories, projects) included, in its own two tables. simple-history mirrors
  every model in a ``Historical…`` model of its own, so each new field on ``Post`` (several
  people add them) also changes the history table and its migrations, and many-to-many
  history needs extra tables per field.
- reversion groups the versions saved in one request into a *revision* with its user and
  comment, which is what the history page lists, and it has admin integration.

We do not use reversion's ``VersionAdmin`` itself: its "revert" restores a revision
wholesale, status included, so it could silently put a withdrawn post back online (or
take a live one down without a record), and it replaces the changelist and history
templates that the export/import and workflow pages extend. ``posts.admin_workflow``
uses reversion's API instead: ``create_revision`` around every admin save and bulk action,
``Version`` for the history, and :func:`restore_as_draft` below.

Derived columns (the rendered body, the excerpt, image renditions) are not kept: they are
made again from the source on save.
"""

import difflib
import json
import re

import reversion
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from reversion.models import Version

# Columns made from other columns on save; a revision need not keep them.
DERIVED_FIELDS = ("body_html", "excerpt", "hero_renditions", "body_renditions")
# Not brought back by a restore: the address, the workflow and the stamps stay as they are.
NOT_RESTORED = {
    "id",
    "slug",
    "status",
    "publish_at",
    "expire_at",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    *DERIVED_FIELDS,
}
# What the comparison shows, in this order: (key, label).
COMPARED_FIELDS = (
    ("title", _("Title")),
    ("summary", pgettext_lazy("post field", "Summary")),  # Django's admin has "Summary" too
    ("body", _("Body")),
    ("categories", _("Categories")),
    ("hero_image", _("Hero image")),
    ("status", _("Status")),
    ("publish_at", _("Publish date")),
)
# Unchanged lines shown around a change in a long text.
CONTEXT_LINES = 2
# One CJK character, a word, a run of white space, or one other character.
TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]|\w+|\s+|[^\w\s]")


def register(post_model):
    """Called once from ``PostsConfig.ready``."""
    if not reversion.is_registered(post_model):
        reversion.register(post_model, exclude=DERIVED_FIELDS)


def versions_of(post):
    """The post's revisions, newest first, with who made them."""
    return (
        Version.objects.get_for_object(post)
        .select_related("revision", "revision__user")
        .order_by("-revision__date_created", "-pk")
    )


def live_version(post):
    """The latest revision in which the post was published, or ``None``."""
    from posts.models import Post

    # The JSON serialiser writes "status": "published" for exactly these; a title with those
    # words in it is escaped (\"status\") and cannot match.
    candidates = versions_of(post).filter(serialized_data__contains='"status": "published"')
    for version in candidates:
        if version.field_dict.get("status") == Post.Status.PUBLISHED:
            return version
    return None


def stored_fields(version):
    """The names of the fields this revision really holds (newer fields are absent)."""
    return set(json.loads(version.serialized_data)[0]["fields"])


def _hero_text(name, alt, caption):
    if not name:
        return ""
    lines = [str(name), f"{_('Alt text')}: {alt}"]
    if caption:
        lines.append(f"{_('Caption')}: {caption}")
    return "\n".join(lines)


def snapshot(post=None, version=None):
    """The compared fields of a revision, or of the post as it is now, as plain text."""
    from posts.models import Category, Post

    if version is not None:
        values = version.field_dict
        category_ids = [int(pk) for pk in values.get("categories", [])]
        status = values.get("status", "")
        hero = (values.get("hero_image"), values.get("hero_image_alt", ""),
                values.get("hero_image_caption", ""))
    else:
        values = {field: getattr(post, field) for field in ("title", "summary", "body",
                                                            "publish_at")}
        category_ids = [category.pk for category in post.categories.all()]
        status = post.status
        hero = (post.hero_image, post.hero_image_alt, post.hero_image_caption)
    names = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
    categories = sorted(names.get(pk, _("(deleted category #%(id)s)") % {"id": pk})
                        for pk in category_ids)
    publish_at = values.get("publish_at")
    return {
        "title": values.get("title", ""),
        "summary": values.get("summary", ""),
        "body": values.get("body", ""),
        "categories": "\n".join(str(name) for name in categories),
        "hero_image": _hero_text(getattr(hero[0], "name", hero[0]), hero[1], hero[2]),
        "status": str(dict(Post.Status.choices).get(status, status)),
        "publish_at": publish_at.isoformat(sep=" ", timespec="minutes") if publish_at else "",
    }


def word_diff(old, new):
    """``old`` → ``new`` as escaped HTML: removed words in ``<del>``, added ones in ``<ins>``."""
    before, after = TOKEN.findall(old), TOKEN.findall(new)
    parts = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            parts.append(escape("".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(before[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(after[j1:j2])))
    return mark_safe("".join(parts))  # every piece above is escaped


def text_diff(old, new):
    """A readable diff of two texts: changed lines word by word, long unchanged stretches
    shortened to a few lines of context. Escaped HTML for a ``white-space: pre-wrap`` box."""
    before, after = old.splitlines(), new.splitlines()
    parts = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            lines = before[i1:i2]
            if len(lines) > 2 * CONTEXT_LINES + 1:
                skipped = len(lines) - 2 * CONTEXT_LINES
                lines = [
                    *lines[:CONTEXT_LINES],
                    format_html(
                        '<span class="diff-skip">{}</span>',
                        _("⋯ %(count)d unchanged lines ⋯") % {"count": skipped},
                    ),
                    *lines[-CONTEXT_LINES:],
                ]
            parts.extend(line if hasattr(line, "__html__") else escape(line) for line in lines)
        else:
            parts.append(word_diff("\n".join(before[i1:i2]), "\n".join(after[j1:j2])))
    return mark_safe("\n".join(parts))


def compare(old, new):
    """Rows of (label, changed, diff HTML) for two snapshots."""
    rows = []
    for key, label in COMPARED_FIELDS:
        changed = old[key] != new[key]
        rows.append((label, changed, text_diff(old[key], new[key]) if changed else None))
    return rows


def restore_as_draft(post, version, user):
    """Bring back the content of ``version`` as a new draft of ``post``.

    Title, summary, body, hero image, categories, projects and the other content fields come
    back; the address and the dates stay; the status becomes draft, so nothing goes (back)
    online by itself. Saved as a new revision, with the state change recorded. The caller
    checks that ``user`` may do this (``posts.admin_workflow``).
    """
    from posts.models import Post

    fields = stored_fields(version) - NOT_RESTORED
    old = version._object_version
    when = timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M")
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(_("Restored the revision of %(date)s as a draft.") % {"date": when})
        many_to_many = {}
        for name in fields:
            field = Post._meta.get_field(name)
            if field.many_to_many:
                many_to_many[name] = old.m2m_data.get(name, [])
            else:
                value = getattr(old.object, field.attname)
                setattr(post, field.attname, value.name if field.get_internal_type() in (
                    "FileField", "ImageField") else value)
        previous = post.status
        post.status = Post.Status.DRAFT
        post.updated_by = user
        post.save()
        for name, pks in many_to_many.items():
            related = Post._meta.get_field(name).related_model
            getattr(post, name).set(related.objects.filter(pk__in=pks))
        if previous != post.status:
            post.record_state_change(
                previous, user, str(_("Restored the revision of %(date)s.") % {"date": when})
            )
    return post
