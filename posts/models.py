import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from foundation.models import ContentManageable
from posts.markup import excerpt_from_html, render_markdown

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
)


def default_language():
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in dict(Language.choices) else "en"


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SIMPLIFIED_CHINESE = "zh-hans", _("Simplified Chinese")


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


class PostQuerySet(models.QuerySet):
    def published(self):
        """The only definition of "public": published, and its publish time has come.

        A published post with a future publish time is *scheduled*: it appears by itself
        at that instant, because visibility is decided here, at query time.
        """
        return self.filter(status=Post.Status.PUBLISHED, publish_at__lte=timezone.now())

    def for_list(self):
        """What a list of posts shows: no bodies, categories in one extra query."""
        return self.only(*LIST_FIELDS).prefetch_related(
            models.Prefetch("categories", queryset=Category.objects.only("name", "slug"))
        )


class Post(ContentManageable):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        help_text=_("The post's address: /news/<slug>/. Changing it breaks existing links."),
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
    categories = models.ManyToManyField(
        Category, verbose_name=_("categories"), related_name="posts", blank=True
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=default_language
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
        ]
        indexes = [
            models.Index(fields=["status", "-publish_at"], name="post_status_publish_idx"),
            models.Index(fields=["language", "status", "-publish_at"], name="post_lang_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("posts:detail", kwargs={"slug": self.slug})

    def is_published(self):
        """Mirror of ``Post.objects.published()`` for one post already in memory."""
        return self.status == self.Status.PUBLISHED and self.publish_at <= timezone.now()

    is_published.boolean = True
    is_published.short_description = _("live")

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.publish_at > timezone.now()

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
                {"hero_image_alt": _("Describe the hero image: alt text is required with an image.")}
            )

    def render(self):
        """Derive the rendered body and the excerpt from the Markdown source."""
        self.body_html = render_markdown(self.body)
        self.excerpt = excerpt_from_html(self.body_html)

    def save(self, *args, **kwargs):
        self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html", "excerpt"}
        super().save(*args, **kwargs)
