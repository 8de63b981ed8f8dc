"""Builders for posts, categories and registry rows.

Shared by the test suite and by the demo-content command, so that what the tests exercise
is what a newcomer sees on first start. Plain functions: every argument has a sensible
default and any model field can be overridden by keyword.
"""

import io
import itertools
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from posts.models import Category, Post
from projects.models import Area, Donation, Donor, Project

_counter = itertools.count(1)

# Calm, readable backgrounds for generated hero images.
PALETTE = [
    ((23, 63, 95), (32, 99, 155)),
    ((60, 174, 163), (23, 63, 95)),
    ((237, 85, 59), (246, 213, 92)),
    ((32, 99, 155), (60, 174, 163)),
    ((95, 45, 120), (200, 80, 120)),
]


def image_bytes(size=(1600, 900), text="", fmt="JPEG", seed=0):
    """A gradient image with optional centred text, as encoded bytes."""
    width, height = size
    top, bottom = PALETTE[seed % len(PALETTE)]
    image = Image.new("RGB", size, top)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(height - 1, 1)
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    if text:
        font_size = max(16, width // 24)
        try:
            from PIL import ImageFont

            font = ImageFont.load_default(size=font_size)
        except (ImportError, TypeError, OSError):  # pragma: no cover - very old Pillow
            font = None
        box = draw.textbbox((0, 0), text, font=font)
        x = (width - (box[2] - box[0])) / 2
        y = (height - (box[3] - box[1])) / 2
        draw.text((x, y), text, fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=85) if fmt == "JPEG" else image.save(buffer, fmt)
    return buffer.getvalue()


def image_file(name="hero.jpg", size=(1600, 900), text="", seed=0):
    fmt = {"png": "PNG", "webp": "WEBP", "gif": "GIF"}.get(name.rsplit(".", 1)[-1].lower(), "JPEG")
    return ContentFile(image_bytes(size=size, text=text, fmt=fmt, seed=seed), name=name)


def make_category(name=None, **fields):
    name = name or f"Category {next(_counter)}"
    fields.setdefault("slug", slugify(name, allow_unicode=True))
    return Category.objects.create(name=name, **fields)


def make_post(
    title=None,
    *,
    status=Post.Status.PUBLISHED,
    publish_at=None,
    categories=(),
    projects=(),
    hero=False,
    **fields,
):
    """A saved post, published an hour ago unless told otherwise.

    ``hero=True`` attaches a generated 1600×900 JPEG with alt text; its renditions are
    made as the admin makes them.
    """
    number = next(_counter)
    title = title or f"Post number {number}"
    fields.setdefault("slug", slugify(title) or f"post-{number}")
    fields.setdefault("body", f"Body of **{title}**.\n\nA second paragraph.")
    post = Post(
        title=title,
        status=status,
        publish_at=publish_at or timezone.now() - timedelta(hours=1),
        **fields,
    )
    if hero:
        post.hero_image = image_file(f"{post.slug}.jpg", text=title, seed=number)
        post.hero_image_alt = post.hero_image_alt or f"Illustration for {title}"
    post.save()
    post.update_renditions()  # as the admin does after saving: hero and body image renditions
    if categories:
        post.categories.set(categories)
    if projects:
        post.projects.set(projects)
    return post


def make_area(name=None, **fields):
    name = name or f"Area {next(_counter)}"
    fields.setdefault("slug", slugify(name))
    return Area.objects.create(name=name, **fields)


def make_donor(name=None, **fields):
    name = name or f"Donor {next(_counter)}"
    fields.setdefault("slug", slugify(name)[:200] or f"donor-{next(_counter)}")
    return Donor.objects.create(name=name, **fields)


def make_project(name=None, *, donors=(), **fields):
    """A saved project; ``donors`` become donations in order, the first one the lead."""
    name = name or f"Project {next(_counter)}"
    fields.setdefault("slug", slugify(name))
    fields.setdefault("summary", f"{name}, donated to the foundation.")
    fields.setdefault("donated_on", timezone.localdate() - timedelta(days=30))
    project = Project.objects.create(name=name, **fields)
    for order, donor in enumerate(donors):
        Donation.objects.create(
            project=project,
            donor=donor,
            order=order,
            role=Donation.Role.LEAD if order == 0 else Donation.Role.CO_DONOR,
        )
    return project
