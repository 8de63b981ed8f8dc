import re
import secrets
from datetime import timedelta
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import reversion
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from foundation.models import ContentManageable
from posts import images
from posts.markup import excerpt_from_html, render_markdown
from posts.slugs import slugify_title, unique_slug

# Columns a list of posts needs. Lists never load the Markdown source or the rendered body.
LIST_FIELDS = (
    "id",
    "title",
    "slug",
    "status",
    "publish_at",
    "summary",
    "excerpt",
    "language",
    "author_name",
    "hero_image",
    "hero_image_alt",
    "hero_image_width",
    "hero_image_height",
    "hero_renditions",
)


def default_language():
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in dict(Language.choices) else "en"


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SIMPLIFIED_CHINESE = "zh-hans", _("Simplified Chinese")


def language_rank(language):
    """0 for a post in ``language``, 1 for the others: how lists put a language first.

    ``Post.Meta.indexes`` holds one index on this very expression per language, so that
    PostgreSQL reads a page of such a list from the index instead of sorting every post.
    """
    return models.Case(
        models.When(language=language, then=models.Value(0)),
        default=models.Value(1),
        output_field=models.IntegerField(),
    )


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        allow_unicode=True,
        help_text=_("The category's address: /news/category/<slug>/."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("Shown at the top of the category page.")
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Lower numbers come first in menus and lists.")
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("posts:category", kwargs={"slug": self.slug})


def public_q(prefix=""):
    """The condition ``PostQuerySet.published()`` applies, for posts reached through a
    relation too: ``public_q("post__")`` on a model with a ``post`` foreign key."""
    now = timezone.now()
    return (
        models.Q(**{f"{prefix}expire_at__isnull": True})
        | models.Q(**{f"{prefix}expire_at__gt": now})
    ) & models.Q(**{f"{prefix}status": Post.Status.PUBLISHED, f"{prefix}publish_at__lte": now})


class PostQuerySet(models.QuerySet):
    def published(self):
        """The only definition of "public": published, and its publish time has come.

        A published post with a future publish time is *scheduled*: it appears by itself
        at that instant; one with an expiry time disappears by itself at that instant.
        Both because visibility is decided here, at query time: no cron job, no worker.
        Mirrored by ``Post.is_published()``.
        """
        return self.filter(public_q())

    def previewable_by(self, user):
        """The posts whose page ``user`` may open: every public one, and previews of the rest
        for who may change them: all posts for editors, their own for authors."""
        if not user.has_perm("posts.change_post"):
            return self.published()
        if user.has_perm(PUBLISH_PERMISSION) or user.has_perm("posts.view_post"):
            return self.all()
        return self.filter(
            models.Q(pk__in=self.published().values("pk")) | models.Q(created_by=user)
        )

    def for_list(self):
        """What a list of posts shows: no bodies, categories in one extra query."""
        return self.only(*LIST_FIELDS).prefetch_related(
            models.Prefetch("categories", queryset=Category.objects.only("name", "slug"))
        )

    def language_first(self, language=None):
        """Posts in ``language`` (the active language by default) first, then the others;
        newest first within each. Still one query: the order is a ``CASE`` on the column."""
        language = language or translation.get_language()
        return self.alias(in_other_language=language_rank(language)).order_by(
            "in_other_language", "-publish_at", "-id"
        )


def published_years():
    """The years with public news, newest first (as dates), remembered until content changes."""
    from foundation.pagecache import remember

    return remember(
        "published-years",
        lambda: list(Post.objects.published().dates("publish_at", "year", order="DESC")),
    )


class Post(ContentManageable):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        UNPUBLISHED = "unpublished", _("Unpublished")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        blank=True,
        help_text=_(
            "The post's address: /news/<slug>/. Leave empty to make it from the title (in "
            "pinyin for a Chinese title). Changing it breaks existing links."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    publish_at = models.DateTimeField(
        _("publish date"),
        default=timezone.now,
        help_text=_(
            "A published post with a date in the future stays hidden until then, "
            "and appears by itself at that time."
        ),
    )
    expire_at = models.DateTimeField(
        _("expiry time"),
        null=True,
        blank=True,
        help_text=_(
            "Optional. At this time the published post leaves the site by itself (its status "
            "stays “Published”). Leave empty to keep it online."
        ),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    author_name = models.CharField(
        _("author name"),
        max_length=200,
        blank=True,
        help_text=_("Shown as the byline. Leave empty to use the author account's name."),
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("One or two sentences for lists and search engines. Taken from the body "
                    "when empty."),
    )
    excerpt = models.TextField(_("excerpt"), blank=True, editable=False)
    body = MarkdownxField(
        _("body"),
        help_text=_("Markdown. Raw HTML is allowed; scripts and event handlers are removed. "
                    "Drop an image on the editor to upload it."),
    )
    body_html = models.TextField(_("rendered body"), blank=True, editable=False)
    hero_image = models.ImageField(
        _("hero image"),
        upload_to="posts/hero/%Y/%m/",
        blank=True,
        width_field="hero_image_width",
        height_field="hero_image_height",
        help_text=_("Landscape, at least 1600×900 px. JPEG, PNG or WebP."),
    )
    hero_image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_image_alt = models.CharField(
        _("hero image alt text"),
        max_length=300,
        blank=True,
        help_text=_("Describes the image for people who cannot see it. Required with an image."),
    )
    hero_image_caption = models.CharField(
        _("hero image caption"), max_length=500, blank=True, help_text=_("Shown under the image.")
    )
    hero_focal_x = models.FloatField(
        _("focal point, across"),
        default=0.5,
        blank=True,  # the form puts back the default (posts/forms.py)
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Where the subject is, from 0 (left edge) to 1 (right edge). Crops of the "
                    "image (16:9 on pages and in lists) keep this point in view."),
    )
    hero_focal_y = models.FloatField(
        _("focal point, down"),
        default=0.5,
        blank=True,  # the form puts back the default (posts/forms.py)
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Where the subject is, from 0 (top edge) to 1 (bottom edge)."),
    )
    # Made by update_renditions() (posts/images.py), never by save(): the pages read these
    # lists of {"width", "height", "format", "name"} instead of asking the storage.
    hero_renditions = models.JSONField(_("hero image renditions"), default=list, blank=True,
                                       editable=False)
    body_renditions = models.JSONField(_("body image renditions"), default=dict, blank=True,
                                       editable=False)
    categories = models.ManyToManyField(
        Category, verbose_name=_("categories"), related_name="posts", blank=True
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=default_language
    )
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        help_text=_(
            "The original post, in the other language, that this post translates. Once both "
            "are published, each page links to the other (“Read in …”)."
        ),
    )
    projects = models.ManyToManyField(
        "projects.Project",
        verbose_name=_("related projects"),
        related_name="posts",
        blank=True,
        help_text=_("Donated projects this post is about. The post is listed on their pages."),
    )
    meta_title = models.CharField(
        _("meta title"),
        max_length=200,
        blank=True,
        help_text=_("The title search engines and social sites show. Leave empty to use the "
                    "post's title."),
    )
    meta_description = models.CharField(
        _("meta description"),
        max_length=300,
        blank=True,
        help_text=_("The description search engines and social sites show, about 150 "
                    "characters. Leave empty to use the summary."),
    )
    canonical_url = models.URLField(
        _("canonical URL"),
        max_length=500,
        blank=True,
        help_text=_("Only for a post first published elsewhere: the original's address, which "
                    "search engines then treat as the main copy. Leave empty for this page."),
    )
    extras = models.JSONField(
        _("front-matter extras"),
        default=dict,
        blank=True,
        help_text=_("Keys from the old site's front matter (layout, hero, comments…) that this "
                    "site does not use. Kept so that exports can give them back."),
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        permissions = [
            ("export_post", _("Can export posts")),
            ("import_post", _("Can import posts")),
            ("publish_post", _("Can publish, unpublish and schedule posts")),
        ]
        indexes = [
            # Covers Post.objects.published() (expiry included): counts are index-only scans.
            models.Index(fields=["status", "-publish_at", "expire_at"], name="post_public_idx"),
            models.Index(fields=["language", "status", "-publish_at"], name="post_lang_idx"),
            # Lists in a visitor's language first (PostQuerySet.language_first): a page of
            # ids is read from the index alone, however deep the page (posts.views).
            *(
                models.Index(
                    language_rank(code),
                    models.F("publish_at").desc(),
                    models.F("id").desc(),
                    include=["expire_at", "language"],
                    condition=models.Q(status="published"),
                    name=f"post_{code.replace('-', '_')}_first_idx",
                )
                for code in Language.values
            ),
            # The sitemap's and feeds' "last changed": the newest save among public posts.
            models.Index(
                models.F("updated_at").desc(),
                include=["id", "publish_at", "expire_at"],
                condition=models.Q(status="published"),
                name="post_updated_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                condition=models.Q(translation_of__isnull=False),
                name="post_one_translation_per_language",
                violation_error_message=_("That post already has a translation in this language."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """The post's address with the interface in the post's own language: /news/<slug>/
        for an English post, /zh-hans/news/<slug>/ for a Chinese one."""
        language = self.language if self.language in dict(settings.LANGUAGES) else None
        with translation.override(language or settings.LANGUAGE_CODE):
            return reverse("posts:detail", kwargs={"slug": self.slug})

    @cached_property
    def published_translations(self):
        """This post's published translations into other languages, in ``LANGUAGES`` order.

        A post and its translations form a group around one original: the translations point
        at it (``translation_of``), and it has none itself. So the whole group is one query
        away from any member, whichever page is being shown.
        """
        if self.pk is None:
            return []
        original = self.translation_of_id or self.pk
        posts = (
            Post.objects.published()
            .filter(models.Q(pk=original) | models.Q(translation_of_id=original))
            .exclude(pk=self.pk)
            .exclude(language=self.language)
            .only("title", "slug", "language", "translation_of_id")
        )
        order = [code for code, _name in settings.LANGUAGES]
        return sorted(posts, key=lambda post: order.index(post.language) if post.language in order
                      else len(order))

    def translation(self):
        """The published translation in another language, or ``None``."""
        return next(iter(self.published_translations), None)

    def is_published(self):
        """Mirror of ``Post.objects.published()`` for one post already in memory."""
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at <= now
            and (self.expire_at is None or self.expire_at > now)
        )

    is_published.boolean = True
    is_published.short_description = _("live")

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.publish_at > timezone.now()

    @property
    def is_expired(self):
        """Published, but its expiry time has passed: off the site by itself."""
        return (
            self.status == self.Status.PUBLISHED
            and self.expire_at is not None
            and self.expire_at <= timezone.now()
        )

    # Workflow. The rules live here; the admin asks them on every path (form, buttons, bulk
    # actions, revision restore) and refuses anything else server-side.

    def is_editable_by(self, user):
        """Editors (``posts.publish_post``) change any post; anyone else with the change
        permission (the Authors group) only the posts they created, and only while the post is
        a draft or in review."""
        if self.pk is None:
            return user.has_perm("posts.add_post")
        if not user.has_perm("posts.change_post"):
            return False
        if user.has_perm(PUBLISH_PERMISSION):
            return True
        return self.created_by_id == user.pk and self.status in AUTHOR_EDITABLE_STATUSES

    def transitions_for(self, user):
        """The moves ``user`` may make from the post's current status, in button order."""
        if not self.is_editable_by(user):
            return []
        may_publish = user.has_perm(PUBLISH_PERMISSION)
        return [
            transition
            for transition in TRANSITIONS
            if self.status in transition.sources
            and (may_publish or not transition.needs_publish_permission)
        ]

    def statuses_for(self, user):
        """The statuses ``user`` may leave the post in: the current one and the reachable ones."""
        reachable = (transition.target for transition in self.transitions_for(user))
        return list(dict.fromkeys([self.status, *reachable]))

    def transition(self, name, user, comment=""):
        """Make the move ``name`` (see ``TRANSITIONS``) as ``user``: set the status, save
        (keeping a revision) and record the state change, which is returned.

        Raises ``PermissionDenied`` when ``user`` may not make that move from this status.
        """
        transition = next((t for t in self.transitions_for(user) if t.name == name), None)
        if transition is None:
            raise PermissionDenied(
                _("You may not do “%(action)s” to this post while it is %(status)s.")
                % {"action": name, "status": self.get_status_display()}
            )
        previous = self.status
        self.status = transition.target
        self.updated_by = user
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(str(transition.done))
            self.save()
            return self.record_state_change(previous, user, comment)

    def record_state_change(self, previous, user, comment=""):
        """Write down a move from ``previous`` (empty for a new post) to the current status."""
        return StateChange.objects.create(
            post=self, user=user, from_status=previous or "", to_status=self.status,
            comment=comment.strip(),
        )

    @property
    def byline(self):
        if self.author_name:
            return self.author_name
        if self.author_id:
            return self.author.get_full_name() or self.author.get_username()
        return ""

    @property
    def description(self):
        """Summary for lists, feeds and the meta description."""
        return self.summary or self.excerpt

    @property
    def seo_title(self):
        """The title for ``<title>``, OpenGraph and Twitter cards: the override, else the title."""
        return self.meta_title or self.title

    @property
    def seo_description(self):
        """The meta description: the editor's override, else the summary (or excerpt)."""
        return self.meta_description or self.description

    def get_canonical_url(self):
        """The page's canonical address: the editor's override, else this site's own URL."""
        return self.canonical_url or f"{settings.SITE_URL}{self.get_absolute_url()}"

    def clean(self):
        super().clean()
        if re.fullmatch(r"[0-9]{4}", self.slug or ""):
            raise ValidationError(
                {"slug": _("A slug of four digits is taken by the year archives: add a word.")}
            )
        if self.hero_image and not self.hero_image_alt.strip():
            raise ValidationError(
                {
                    "hero_image_alt": _(
                        "Describe the hero image: alt text is required with an image."
                    )
                }
            )
        self.clean_translation_of()
        if self.expire_at and self.publish_at and self.expire_at <= self.publish_at:
            raise ValidationError(
                {"expire_at": _("The expiry time must come after the publish date.")}
            )

    def clean_translation_of(self):
        """A translation points at an original in another language, which is no translation
        itself: the group of a post and its translations stays one level deep."""
        original = self.translation_of
        if original is None:
            return
        if self.pk and original.pk == self.pk:
            error = _("A post cannot be a translation of itself.")
        elif original.language == self.language:
            error = _(
                "“%(title)s” is in the same language as this post: a translation "
                "must be in another language."
            ) % {"title": original.title}
        elif original.translation_of_id:
            error = _(
                "“%(title)s” is itself a translation. Choose the original post it "
                "translates, “%(original)s”."
            ) % {"title": original.title, "original": original.translation_of.title}
        elif self.pk and self.translations.exists():
            error = _(
                "Other posts are translations of this post, so it is an original and cannot "
                "be a translation itself."
            )
        else:
            return
        raise ValidationError({"translation_of": error})

    def fill_slug(self):
        """Give a new post without a slug one made from its title (pinyin for Chinese),
        unique among posts: ``-2``, ``-3``, … are appended when it is taken."""
        if self.slug:
            return
        base = slugify_title(self.title)
        if re.fullmatch(r"[0-9]{4}", base):  # four digits are the year archives' addresses
            base = f"post-{base}"
        self.slug = unique_slug(base, Post.objects.exclude(pk=self.pk))

    def render(self):
        """Derive the rendered body and the excerpt from the Markdown source."""
        self.body_html = render_markdown(self.body)
        self.excerpt = excerpt_from_html(self.body_html)

    def prepublish_warnings(self):
        """What to check before publishing: a list of sentences (see posts/prepublish.py)."""
        from posts.prepublish import prepublish_warnings

        return prepublish_warnings(self)

    def update_renditions(self, force=False):
        """(Re)make the renditions of the hero and body images after the post was saved;
        old ones no post uses are deleted. Explicit I/O: see posts/images.py."""
        return images.update_renditions(self, force=force)

    def save(self, *args, **kwargs):
        self.fill_slug()
        self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html", "excerpt"}
        super().save(*args, **kwargs)


# --- The editorial workflow -----------------------------------------------------------------

PUBLISH_PERMISSION = "posts.publish_post"
# An author may change a post of their own only while it is in one of these states.
AUTHOR_EDITABLE_STATUSES = frozenset({Post.Status.DRAFT, Post.Status.IN_REVIEW})


class Transition(NamedTuple):
    """One move of the workflow: its button, the states it leaves, the state it reaches."""

    name: str
    label: str
    sources: frozenset
    target: str
    needs_publish_permission: bool
    done: str  # what the admin says afterwards, and the revision's comment


_S = Post.Status
TRANSITIONS = (
    Transition("submit", _("Submit for review"), frozenset({_S.DRAFT, _S.UNPUBLISHED}),
               _S.IN_REVIEW, False, _("Submitted for review.")),
    Transition("withdraw", _("Withdraw from review"), frozenset({_S.IN_REVIEW}),
               _S.DRAFT, False, _("Withdrawn from review.")),
    Transition("publish", _("Publish"),
               frozenset({_S.DRAFT, _S.IN_REVIEW, _S.UNPUBLISHED, _S.ARCHIVED}),
               _S.PUBLISHED, True, _("Published.")),
    Transition("send_back", _("Send back with comment"), frozenset({_S.IN_REVIEW}),
               _S.DRAFT, True, _("Sent back to the author.")),
    Transition("unpublish", _("Unpublish"), frozenset({_S.PUBLISHED}),
               _S.UNPUBLISHED, True, _("Unpublished: taken off the site.")),
    Transition("archive", _("Archive"),
               frozenset({_S.DRAFT, _S.IN_REVIEW, _S.PUBLISHED, _S.UNPUBLISHED}),
               _S.ARCHIVED, True, _("Archived.")),
    Transition("reopen", _("Reopen as draft"), frozenset({_S.UNPUBLISHED, _S.ARCHIVED}),
               _S.DRAFT, True, _("Reopened as a draft.")),
)
TRANSITIONS_BY_NAME = {transition.name: transition for transition in TRANSITIONS}
del _S


class StateChange(models.Model):
    """One move of a post through the workflow: who, when, from, to and why.

    Shown on the post's history page; the comment of a "send back" is what the author reads.
    """

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="state_changes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=Post.Status.choices, blank=True,
        help_text=_("Empty when the post was created."),
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Post.Status.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        indexes = [models.Index(fields=["post", "-at"], name="statechange_post_at_idx")]

    def __str__(self):
        return f"{self.post}: {self.from_status or '—'} → {self.to_status}"


# --- Redirects ------------------------------------------------------------------------------


def normalise_path(value):
    """A site path as redirects store and compare it: unquoted ("/%E5%9F%BA/" and "/基/" are
    one path), without scheme, host, query or fragment, starting with "/"."""
    value = (value or "").strip()
    parts = urlsplit(value)
    path = unquote(parts.path)
    if not path.startswith("/"):
        path = f"/{path}"
    return path


def normalise_target(value):
    """A redirect's target: another site's absolute URL as written, else a normalised path."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        site = urlsplit(settings.SITE_URL)
        if parts.netloc != site.netloc:
            return value
    path = normalise_path(value)
    return f"{path}?{parts.query}" if parts.query else path


def path_variants(path):
    """A path with and without its trailing slash: redirects match either."""
    stripped = path.rstrip("/") or "/"
    return [path, stripped if path.endswith("/") else f"{path}/"]


class RedirectQuerySet(models.QuerySet):
    def for_path(self, path):
        """The redirect for ``path`` (already unquoted, as ``request.path`` is), also when it
        was recorded with or without the trailing slash; an exact match wins. One query."""
        candidates = path_variants(path)
        found = {redirect.old_path: redirect for redirect in self.filter(old_path__in=candidates)}
        return next((found[candidate] for candidate in candidates if candidate in found), None)

    def record(self, old_path, target_path, *, is_permanent=True, note=""):
        """Add (or change) the redirect from ``old_path``, collapsing chains; raises
        ``ValidationError`` for a loop. Returns the saved redirect."""
        old_path = normalise_path(old_path)
        redirect = self.filter(old_path=old_path).first() or Redirect(old_path=old_path)
        redirect.target_path = target_path
        redirect.is_permanent = is_permanent
        redirect.note = note or redirect.note
        redirect.full_clean()
        redirect.save_collapsing()
        return redirect

    def record_move(self, old_url, new_url, note=""):
        """A page moved from ``old_url`` to ``new_url`` (a post's slug changed): the new
        address is live again if it was redirected away, and the old one redirects to it."""
        if normalise_path(old_url) == normalise_path(new_url):
            return None
        self.filter(old_path__in=path_variants(normalise_path(new_url))).delete()
        return self.record(old_url, new_url, note=note)


class Redirect(models.Model):
    """An old address that answers with a redirect instead of "page not found".

    Looked up only when a request would be a 404 (``posts.middleware``). Chains never form:
    a redirect always points at the final address (``save_collapsing``), and loops are
    refused (``clean``).
    """

    old_path = models.CharField(
        _("old path"),
        max_length=500,
        unique=True,
        help_text=_("The address that no longer exists, from the first “/”: "
                    "/2023/06/11/old-post/. Matches with or without the trailing slash."),
    )
    target_path = models.CharField(
        _("target"),
        max_length=500,
        help_text=_("Where visitors are sent: a path on this site (/news/new-post/) or a full "
                    "URL of another site."),
    )
    is_permanent = models.BooleanField(
        _("permanent (301)"),
        default=True,
        help_text=_("Permanent redirects tell search engines to move the old address's "
                    "ranking to the target. Untick for a temporary (302) redirect."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("Why it exists. Not shown publicly.")
    )

    objects = RedirectQuerySet.as_manager()

    class Meta:
        ordering = ["old_path"]
        verbose_name = _("redirect")
        verbose_name_plural = _("redirects")

    def __str__(self):
        return f"{self.old_path} → {self.target_path}"

    def get_absolute_url(self):
        return self.old_path

    def final_target(self):
        """Where ``target_path`` ends up after following the redirects already stored."""
        target, seen = self.target_path, {self.old_path}
        others = Redirect.objects.exclude(pk=self.pk) if self.pk else Redirect.objects.all()
        while target.startswith("/") and target not in seen and len(seen) < 50:
            seen.add(target)
            onward = others.for_path(target)
            if onward is None:
                break
            target = onward.target_path
        return target

    def clean(self):
        super().clean()
        self.old_path = normalise_path(self.old_path)
        self.target_path = normalise_target(self.target_path)
        if self.target_path.startswith("/") and (
            normalise_path(self.target_path) in path_variants(self.old_path)
        ):
            raise ValidationError(
                {"target_path": _("A redirect cannot point at its own old path.")}
            )
        final = self.final_target()
        if final.startswith("/") and normalise_path(final) in path_variants(self.old_path):
            raise ValidationError(
                {
                    "target_path": _(
                        "This would make a loop: %(target)s already redirects back to "
                        "%(old)s. Change or delete that redirect first."
                    )
                    % {"target": self.target_path, "old": self.old_path}
                }
            )
        self.target_path = final

    def save_collapsing(self):
        """Save, and point the redirects that led to this one's old path at its target,
        so that every old address takes one hop."""
        with transaction.atomic():
            self.save()
            Redirect.objects.filter(target_path__in=path_variants(self.old_path)).exclude(
                pk=self.pk
            ).update(target_path=self.target_path)


# --- Share links ----------------------------------------------------------------------------

SHARE_LINK_SALT = "posts.ShareLink"


def share_link_key():
    return secrets.token_urlsafe(24)


def share_link_expiry():
    return timezone.now() + timedelta(days=settings.SHARE_LINK_DAYS)


class ShareLinkQuerySet(models.QuerySet):
    def active(self):
        """Links that still open their post: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def from_token(self, token):
        """The active link a token stands for, or ``None`` for a forged, tampered, expired
        or revoked one (or one whose post was deleted: the link went with it)."""
        try:
            key = signing.Signer(salt=SHARE_LINK_SALT).unsign(token)
        except signing.BadSignature:
            return None
        return self.active().filter(key=key).first()


class ShareLink(models.Model):
    """A link that shows a post, draft or not, to anyone who has it: for review without an
    account. The URL carries the random ``key`` signed with the site's secret key, so it
    cannot be guessed, and a changed character makes it a 404."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="share_links"
    )
    key = models.CharField(_("key"), max_length=64, unique=True, default=share_link_key,
                           editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires"), default=share_link_expiry,
        help_text=_("The link stops working at this time."),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self):
        return f"{self.post} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("posts:shared", kwargs={"token": self.token})

    @property
    def token(self):
        return signing.Signer(salt=SHARE_LINK_SALT).sign(self.key)

    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


# --- Media library --------------------------------------------------------------------------


class Image(models.Model):
    """An uploaded picture in the library: described once, reused by posts.

    Uploaded in the library's admin, or by dropping it on the body editor (then recorded
    here by ``posts.markdownx_urls``, still to be described). ``posts_using()`` finds the
    posts that show it, as their hero image or in their body.
    """

    file = models.ImageField(
        _("file"),
        upload_to="library/%Y/%m/",
        max_length=255,
        width_field="width",
        height_field="height",
        help_text=_("JPEG, PNG, WebP or GIF. For a hero image, landscape, at least 1600×900 px."),
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_("For finding it in the library. Not shown publicly."),
    )
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        help_text=_("Describes the image for people who cannot see it."),
    )
    caption = models.CharField(_("caption"), max_length=500, blank=True,
                               help_text=_("Shown under the image."))
    credit = models.CharField(_("credit"), max_length=200, blank=True,
                              help_text=_("Photographer or source, shown with the caption."))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.title or self.file.name

    def get_absolute_url(self):
        return self.file.url

    def posts_using(self):
        """The posts that show this image: as their hero image, or in their body."""
        return Post.objects.filter(
            models.Q(hero_image=self.file.name) | models.Q(body__contains=self.file.url)
        )

    @classmethod
    def posts_using_any(cls, images):
        """{image: [posts]} for the images some post shows (one query for the posts)."""
        images = list(images)
        if not images:
            return {}
        condition = models.Q()
        for image in images:
            condition |= models.Q(hero_image=image.file.name)
            condition |= models.Q(body__contains=image.file.url)
        posts = list(Post.objects.filter(condition).only("title", "slug", "hero_image", "body",
                                                          "language"))
        usage = {}
        for image in images:
            users = [p for p in posts if p.hero_image.name == image.file.name
                     or image.file.url in p.body]
            if users:
                usage[image] = users
        return usage
