"""The benchmark dataset: built in one go, straight into the database and MEDIA_ROOT.

It is quick because it never renders per post: bodies come from a few dozen generated
templates (about 800 words, English and Chinese mixed, a table and an image each),
rendered once each, and rows go in with ``bulk_create``. Hero images are a pool of
distinct 1600×900 JPEGs (50 by default); every post gets a file of its own, a hard link
to one of them where the file system allows it, so 10,000 images cost the disk space of
50. Their renditions (posts/images.py) are made once per pool image and linked the same
way into each post's own rendition folder.
"""

import math
import os
import posixpath
import random
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.text import slugify

from foundation.benchmark.text import (
    AREA_NAMES,
    AUTHORS,
    CATEGORY_NAMES,
    EN_EVENTS,
    EN_SENTENCES,
    FIGURE_DIR,
    FIGURES,
    LICENSES,
    ZH_EVENTS,
    ZH_SENTENCES,
    generate_body,
    unique_donor_names,
    unique_project_names,
)
from foundation.factories import image_bytes
from posts import images
from posts.markup import excerpt_from_html, render_markdown
from posts.models import Category, Post
from projects.models import Area, Donation, Donor, Project

SEED = 20230611
BATCH = 500
HERO_SIZE = (1600, 900)
FIGURE_SIZE = (1200, 675)
BODY_TEMPLATES = 40
PROJECT_TEMPLATES = 10
HERO_POOL_DIR = "posts/hero/pool"


class NoProgress:
    def update(self, done):
        pass

    def done(self):
        pass


class Builder:
    """Writes the dataset; ``progress(label, total)`` makes an object with update/done."""

    def __init__(self, images=50, progress=None):
        self.rng = random.Random(SEED)
        self.images = images
        self.progress = progress or (lambda label, total: NoProgress())

    def build(self, sizes):
        with transaction.atomic():
            for model in (Post, Category, Donation, Project, Donor, Area):
                model.objects.all().delete()
            categories = self.build_categories(sizes["categories"])
            projects = self.build_registry(sizes["projects"], sizes["donors"])
            hero_names = self.build_posts(sizes["posts"], categories, projects)
        self.write_media(hero_names)
        self.link_renditions()
        if connection.vendor == "postgresql":
            # What autovacuum gives a live site: planner statistics, and a visibility map
            # so that counts over the public posts are index-only scans.
            with connection.cursor() as cursor:
                # VACUUM cannot run inside a transaction (as in the test suite).
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")

    def build_categories(self, count):
        names = CATEGORY_NAMES[:count] + [f"Topic {n}" for n in range(1, count - 19)]
        return Category.objects.bulk_create(
            Category(
                name=name,
                slug=slugify(name, allow_unicode=True),
                description=f"News about {name}.",
                position=position,
            )
            for position, name in enumerate(names)
        )

    def build_registry(self, project_count, donor_count):
        rng = self.rng
        areas = Area.objects.bulk_create(
            Area(name=name, slug=slugify(name), position=position)
            for position, name in enumerate(AREA_NAMES)
        )
        donors = Donor.objects.bulk_create(
            Donor(
                name=name,
                slug=slugify(name)[:200],
                kind=kind,
                website=f"https://{slugify(name)[:40]}.example.org/",
                description=f"{name} supports open source through the foundation.",
                is_public=rng.random() > 0.05,
            )
            for name, kind in unique_donor_names(rng, donor_count)
        )
        descriptions = [render_markdown(text) for text in self.project_templates()]
        projects = []
        for index, name in enumerate(unique_project_names(rng, project_count)):
            template = index % len(descriptions)
            donated = date(2020, 6, 1) + timedelta(days=rng.randrange(1800))
            stage = rng.choice(list(Project.Stage))
            dates = {}
            for offset, (candidate, field) in enumerate(Project.STAGE_DATE_FIELDS.items()):
                dates[field] = donated + timedelta(days=120 * offset)
                if candidate == stage:
                    break
            projects.append(
                Project(
                    name=name,
                    slug=slugify(name),
                    summary=f"{name}: {rng.choice(AREA_NAMES).lower()} for everyone.",
                    description=self.project_texts[template],
                    description_html=descriptions[template],
                    homepage=f"https://{slugify(name)}.example.org/",
                    repository=f"https://git.example.org/{slugify(name)}",
                    license=rng.choice(LICENSES),
                    area=rng.choice(areas),
                    stage=stage,
                    **dates,
                )
            )
        projects = Project.objects.bulk_create(projects)
        Donation.objects.bulk_create(
            Donation(
                project=project,
                donor=donor,
                order=order,
                role=Donation.Role.LEAD if order == 0 else Donation.Role.CO_DONOR,
                signed_on=project.donated_on,
            )
            for project in projects
            for order, donor in enumerate(rng.sample(donors, min(len(donors), rng.randint(1, 3))))
        )
        return projects

    def project_templates(self):
        self.project_texts = []
        for _ in range(PROJECT_TEMPLATES):
            paragraphs = [
                " ".join(self.rng.sample(EN_SENTENCES, 4)),
                "".join(self.rng.sample(ZH_SENTENCES, 3)),
            ]
            self.project_texts.append("\n\n".join(paragraphs))
        return self.project_texts

    def build_posts(self, count, categories, projects):
        rng = self.rng
        bodies = [generate_body(rng, n, zh_first=n % 2 == 1) for n in range(BODY_TEMPLATES)]
        rendered = []
        for body in bodies:
            html = render_markdown(body)
            rendered.append((body, html, excerpt_from_html(html)))

        now = timezone.now()
        progress = self.progress("posts", count)
        hero_names = []
        for start in range(0, count, BATCH):
            batch = []
            for index in range(start, min(start + BATCH, count)):
                post = self.new_post(index, now, rendered, projects)
                hero_names.append(post.hero_image.name)
                batch.append(post)
            batch = Post.objects.bulk_create(batch)
            Post.categories.through.objects.bulk_create(
                Post.categories.through(post_id=post.pk, category_id=category.pk)
                for post in batch
                for category in rng.sample(categories, min(len(categories), rng.randint(1, 3)))
            )
            Post.projects.through.objects.bulk_create(
                Post.projects.through(post_id=post.pk, project_id=project.pk)
                for post in batch
                for project in rng.sample(projects, min(len(projects), rng.randint(0, 2)))
            )
            progress.update(start + len(batch))
        progress.done()
        return hero_names

    def new_post(self, index, now, rendered, projects):
        rng = self.rng
        project = rng.choice(projects).name
        is_chinese = rng.random() < 0.3
        if is_chinese:
            title = f"{project}{rng.choice(ZH_EVENTS)}"
        else:
            title = f"{project} {rng.choice(EN_EVENTS)}"
        # The newest posts are a few days apart; 10,000 of them reach back about eight years.
        if index < 3:
            publish_at = now + timedelta(days=30 + index)  # scheduled
        else:
            publish_at = now - timedelta(hours=7 * index + rng.randrange(6), minutes=index % 60)
        body, html, excerpt = rendered[index % len(rendered)]
        hero = f"posts/hero/{publish_at:%Y/%m}/{slugify(project)}-{index:05d}.jpg"
        return Post(
            title=title,
            slug=f"{slugify(title)}-{index:05d}"[:200],
            status=Post.Status.DRAFT if index % 37 == 5 else Post.Status.PUBLISHED,
            publish_at=publish_at,
            author_name=rng.choice(AUTHORS),
            summary=(rng.choice(EN_SENTENCES) if rng.random() < 0.5 else ""),
            excerpt=excerpt,
            body=body,
            body_html=html,
            hero_image=hero,
            hero_image_width=HERO_SIZE[0],
            hero_image_height=HERO_SIZE[1],
            hero_image_alt=f"Photo for “{title}”",
            hero_image_caption=(rng.choice(ZH_SENTENCES) if rng.random() < 0.3 else ""),
            language="zh-hans" if is_chinese else "en",
            extras={"layout": "post", "hero": "blog_details", "comments": True},
        )

    # Files --------------------------------------------------------------------------

    def write_media(self, hero_names, only_missing=False):
        """Write every post's hero file (and the body figures); return how many were written."""
        pool = [f"{HERO_POOL_DIR}/hero-{n:02d}.jpg" for n in range(self.images)]
        figures = [f"{FIGURE_DIR}/figure-{n:02d}.jpg" for n in range(FIGURES)]
        for number, name in enumerate(pool):
            if not default_storage.exists(name):
                store(
                    name,
                    image_bytes(HERO_SIZE, text=f"Foundation news · {number + 1}", seed=number),
                )
        for number, name in enumerate(figures):
            if not default_storage.exists(name):
                store(name, image_bytes(FIGURE_SIZE, text=f"Figure {number + 1}", seed=number))

        written = 0
        progress = self.progress("hero images", len(hero_names))
        for index, name in enumerate(hero_names):
            if only_missing and default_storage.exists(name):
                continue
            copy_within_storage(pool[index % len(pool)], name)
            written += 1
            if written % 250 == 0:
                progress.update(index + 1)
        progress.done()
        return written

    def link_renditions(self, only_missing=False):
        """Give every post its hero and body image renditions (posts/images.py); return how
        many posts changed.

        Made once per pool image and per body figure, as ``update_renditions()`` would, then
        hard-linked into each post's own rendition folder (its name hashes the post's own hero
        file), so that pages name the same files they would in production.
        """
        pool = [f"{HERO_POOL_DIR}/hero-{n:02d}.jpg" for n in range(self.images)]
        pool_renditions = {}
        figures = {
            name: images.build_renditions(name)
            for name in (f"{FIGURE_DIR}/figure-{n:02d}.jpg" for n in range(FIGURES))
        }
        posts = Post.objects.exclude(hero_image="").only(
            "id",
            "hero_image",
            "hero_focal_x",
            "hero_focal_y",
            "hero_renditions",
            "body_html",
            "body_renditions",
        )
        changed, count = [], 0
        progress = self.progress("renditions", posts.count())
        for done, post in enumerate(posts.iterator(chunk_size=BATCH), start=1):
            if (
                only_missing
                and post.hero_renditions
                and all(default_storage.exists(item["name"]) for item in post.hero_renditions)
            ):
                continue
            match = re.search(r"-(\d+)\.jpg$", post.hero_image.name)
            source = pool[int(match.group(1)) % len(pool)] if match else pool[0]
            focal = (post.hero_focal_x, post.hero_focal_y)
            if (source, focal) not in pool_renditions:
                pool_renditions[source, focal] = images.build_renditions(
                    source, aspect=images.HERO_ASPECT, focal=focal
                )
            folder = images.rendition_folder(post.hero_image.name, images.HERO_ASPECT, focal)
            post.hero_renditions = []
            for item in pool_renditions[source, focal]:
                name = f"{folder}/{posixpath.basename(item['name'])}"
                if not default_storage.exists(name):
                    copy_within_storage(item["name"], name)
                post.hero_renditions.append({**item, "name": name})
            post.body_renditions = {
                name: figures[name]
                for name in images.body_image_names(post.body_html)
                if figures.get(name)
            }
            changed.append(post)
            if len(changed) == BATCH:
                count += self.save_renditions(changed)
                progress.update(done)
        count += self.save_renditions(changed)
        progress.done()
        return count

    @staticmethod
    def save_renditions(posts):
        Post.objects.bulk_update(posts, ["hero_renditions", "body_renditions"])
        count = len(posts)
        posts.clear()
        return count


def store(name, content):
    """Save bytes under exactly ``name`` (replacing a file already there)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # pragma: no cover - only if the storage renames despite the delete
        raise OSError(f"Storage saved {name} as {saved}.")


def copy_within_storage(source, name):
    """Give ``name`` the bytes of ``source``: a hard link on local disk, a copy elsewhere."""
    try:
        source_path, target_path = Path(default_storage.path(source)), default_storage.path(name)
    except NotImplementedError:  # a remote store (S3)
        with default_storage.open(source, "rb") as handle:
            store(name, handle.read())
        return
    target = Path(target_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source_path, target)
    except OSError:
        shutil.copyfile(source_path, target)


def current_sizes():
    return {
        "posts": Post.objects.count(),
        "projects": Project.objects.count(),
        "donors": Donor.objects.count(),
        "categories": Category.objects.count(),
    }


def describe(sizes):
    return ", ".join(f"{count:,} {name}" for name, count in sizes.items())


def benchmark_paths():
    """The pages ``manage.py bench`` drives, as paths on this dataset (None = not available)."""
    published = Post.objects.published()
    pages = max(1, math.ceil(published.count() / settings.POSTS_PER_PAGE))
    post = (
        published.exclude(hero_image="")
        .annotate(project_count=Count("projects"))
        .filter(project_count__gt=0)
        .order_by("-publish_at")
        .first()
    ) or published.first()
    category = Category.objects.first()
    project = Project.objects.annotate(n=Count("donations")).order_by("-n", "name").first()
    donor = Donor.objects.public().annotate(n=Count("donations")).filter(n__gt=0).first()
    news = reverse("posts:list")
    paths = {
        "home": reverse("home"),
        "news": news,
        "news-400": f"{news}?page={min(400, pages)}",
        "category": category and iri_to_uri(category.get_absolute_url()),
        "post": post and post.get_absolute_url(),
        "project": project and project.get_absolute_url(),
        "donor": donor and donor.get_absolute_url(),
        "search": f"{reverse('search')}?q=open",
        "feed": first_reverse("feeds:rss", "posts:feed", "feed"),
        "sitemap": first_reverse("sitemap", "django.contrib.sitemaps.views.sitemap")
        or "/sitemap.xml",
        "bare": first_reverse("bench-bare"),
    }
    return paths


def first_reverse(*names):
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None
