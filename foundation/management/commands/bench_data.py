"""Build, once, the dataset that ``make bench`` serves: posts, categories and the registry.

By default 10,000 posts with hero images, 200 projects, 300 donors (1–3 donations per
project) and 20 categories, written into whatever database ``DATABASE_URL`` names and
whatever ``MEDIA_ROOT`` says. ``manage.py bench`` points both at a dedicated PostgreSQL
database and media folder before it calls this command; the test suite calls it with
tiny sizes against the test database.

Running it again reuses the dataset when the row counts match the sizes asked for (and
puts back any hero image file that went missing). A database that holds other content
is refused unless ``--rebuild`` is given, which deletes every post, category, project,
donor and area first: point it only at a database made for benchmarks.

It is quick because it never renders per post: bodies come from a few dozen generated
templates (about 800 words, English and Chinese mixed, a table and an image each),
rendered once each, and rows go in with ``bulk_create``. Hero images are 50 distinct
1600×900 JPEGs; every post gets its own file (a hard link to one of them where the file
system allows it, so 10,000 images cost the disk space of 50).
"""

import json
import math
import os
import random
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.text import slugify

from foundation.factories import image_bytes
from posts.markup import excerpt_from_html, render_markdown
from posts.models import Category, Post
from projects.models import Area, Donation, Donor, Project

SEED = 20230611
BATCH = 500
HERO_SIZE = (1600, 900)
FIGURE_SIZE = (1200, 675)
FIGURES = 8
BODY_TEMPLATES = 40
PROJECT_TEMPLATES = 10
HERO_POOL_DIR = "posts/hero/pool"
FIGURE_DIR = "posts/body/bench"

CATEGORY_NAMES = [
    "基金会",
    "Foundation news",
    "Project donations",
    "Events",
    "开源峰会",
    "Community",
    "Security advisories",
    "Releases",
    "Governance",
    "TOC",
    "Incubation",
    "Developer programs",
    "开发者",
    "Education",
    "Partnerships",
    "Open hardware",
    "Cloud native",
    "Operating systems",
    "人工智能",
    "Interviews",
]
AREA_NAMES = [
    "Operating systems",
    "Databases",
    "Cloud native",
    "Artificial intelligence",
    "Blockchain",
    "Security",
    "Middleware",
    "Open hardware",
    "Industrial software",
    "Browser engines",
    "Fonts and typography",
    "Supercomputing",
]
PROJECT_PARTS = (
    [
        "Open",
        "Kona",
        "Tong",
        "Harmony",
        "Pix",
        "Light",
        "Atom",
        "Zen",
        "Star",
        "River",
        "Cloud",
        "Deep",
        "Swift",
        "Jade",
        "Hyper",
        "Nano",
        "Smart",
        "Ever",
        "Mini",
        "Easy",
    ],
    [
        "Bench",
        "Link",
        "Suo",
        "Stack",
        "Blink",
        "Pool",
        "Base",
        "DB",
        "OS",
        "Flow",
        "Mesh",
        "Forge",
        "Spice",
        "Kit",
        "Hub",
        "Lake",
        "Core",
        "Wave",
        "Leaf",
        "Gate",
    ],
)
DONOR_CITIES = [
    "Beijing",
    "Shanghai",
    "Shenzhen",
    "Hangzhou",
    "Nanjing",
    "Wuhan",
    "Xi'an",
    "Chengdu",
    "Suzhou",
    "Guangzhou",
    "Zhuhai",
    "Jinan",
    "Tianjin",
    "Hefei",
]
DONOR_WORDS = [
    "Huaheng",
    "Runhe",
    "Ronghui",
    "Qulian",
    "Tongxin",
    "Wodong",
    "Xingye",
    "Shengshi",
    "Ruiside",
    "Yingjie",
    "Enfu",
    "Honghu",
    "Wanlian",
    "Zhongke",
    "Tianjun",
    "Hongtu",
    "Xinghuo",
    "Kaiyuan",
    "Lingxi",
    "Yunhe",
]
UNIVERSITIES = [
    "Peking University",
    "Fudan University",
    "Zhejiang University",
    "Tsinghua University",
    "Wuhan University of Technology",
    "Xi'an Jiaotong University",
    "Harbin Institute of Technology",
]
LICENSES = ["Apache-2.0", "MulanPSL-2.0", "MIT", "BSD-3-Clause", "GPL-2.0-only", "LGPL-2.1"]
AUTHORS = [
    "Foundation staff",
    "Li Wei",
    "Zhang Min",
    "Wang Fang",
    "TOC secretariat",
    "Chen Jing",
    "Liu Yang",
    "Community team",
    "开源原子基金会",
    "Zhao Lei",
]
EN_EVENTS = [
    "joins the foundation's incubator",
    "signs its donation agreement",
    "ships a long-term support release",
    "graduates from incubation",
    "holds its first developer meetup",
    "passes the TOC technical review",
    "publishes its security audit",
    "welcomes new maintainers",
    "opens its roadmap",
]
ZH_EVENTS = [
    "捐赠签约仪式举行",
    "正式进入孵化阶段",
    "发布长期支持版本",
    "顺利毕业",
    "首届开发者大会召开",
    "通过技术监督委员会评审",
    "社区治理委员会成立",
]

EN_SENTENCES = [
    "The foundation brings developers, companies and universities together around code "
    "that anyone may read, change and share.",
    "Since its establishment the foundation has widened the open source services it offers "
    "and linked developers, projects and communities across the country.",
    "More than thirty projects have passed the technical review of the Technical Oversight "
    "Committee, covering operating systems, storage, security, middleware and cloud native "
    "computing.",
    "The signing ceremony took place at the opening of the Global Open Source Summit, "
    "attended by representatives of the donors and of the local government.",
    "Maintainers from five companies reviewed the proposal and agreed on a governance "
    "model in which every decision is taken in the open.",
    "The project's code moved to a neutral code hosting platform, where the history of "
    "every change remains visible.",
    "A long-term support branch will receive security fixes for three years, which is what "
    "industrial users asked for.",
    "Students from twelve universities contributed patches during the summer programme, and "
    "four of them became committers.",
    "The release adds support for RISC-V boards, halves the memory used at start-up and "
    "documents every public interface.",
    "Documentation is now translated into Chinese and English, and both versions are built "
    "from the same sources.",
    "The incubator helps a young project with legal review, trademark registration, "
    "infrastructure and mentoring.",
    "Security reports go to a private list first; a fix and an advisory are published "
    "together once users can upgrade.",
    "Donors keep no special rights over a project once it has been donated: the community "
    "decides its future.",
    "The meetup drew more than three hundred participants, and the recorded talks are "
    "available on the foundation's video channel.",
    "Benchmarks published with the release compare it with the previous version on the "
    "same hardware and explain the method.",
    "An open call for mentors is running until the end of the month.",
    "Companies that build products on the project are invited to share their experience in "
    "the user forum.",
    "The roadmap for the next year focuses on stability, observability and a smoother "
    "upgrade path.",
]
ZH_SENTENCES = [
    "开放原子开源基金会致力于推动全球开源事业发展，服务开发者、开源项目和开源社区。",
    "本次签约仪式在开源峰会开幕式上举行，捐赠方代表与基金会理事长共同签署了捐赠协议。",
    "目前已有三十余个开源项目通过技术监督委员会的技术准入，覆盖操作系统、数据库、云原生、人工智能等领域。",
    "基金会将充分发挥开源生态组织者和推动者的作用，汇聚开发者，培育开源项目。",
    "项目进入孵化阶段后，基金会将在法务、品牌、基础设施和社区运营等方面提供支持。",
    "来自十余所高校的学生参与了暑期开源活动，提交了数百个补丁。",
    "新版本支持更多国产芯片平台，启动时间缩短一半，并完善了全部公开接口的文档。",
    "社区采用公开透明的治理模式，所有技术决策均在公开的邮件列表中讨论。",
    "安全漏洞报告首先发送至私有邮件列表，修复版本与安全公告将同时发布。",
    "欢迎各界朋友携手开放原子开源基金会，共建开源生态，共享开源价值。",
    "本次开发者大会吸引了三百余名开发者现场参与，会议视频已在基金会官方频道发布。",
    "项目的长期支持版本将提供三年的安全更新，满足工业用户的需求。",
]
HEADINGS_EN = [
    "Background",
    "What was donated",
    "Governance",
    "Next steps",
    "How to take part",
    "Release highlights",
    "Thanks",
]
HEADINGS_ZH = ["背景", "项目介绍", "社区治理", "下一步计划", "如何参与", "致谢"]


class Command(BaseCommand):
    help = (
        "Build (once, then reuse) the benchmark dataset in the database DATABASE_URL names: "
        "posts with hero images, categories, projects, donors and donations."
    )

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=10_000)
        parser.add_argument("--projects", type=int, default=200)
        parser.add_argument("--donors", type=int, default=300)
        parser.add_argument("--categories", type=int, default=20)
        parser.add_argument(
            "--images", type=int, default=50, help="How many distinct hero images to generate."
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Delete every post, category, project, donor and area first.",
        )
        parser.add_argument(
            "--paths-json",
            metavar="FILE",
            help="Write the URL paths that `manage.py bench` drives to FILE as JSON.",
        )

    def handle(self, *args, **options):
        sizes = {key: options[key] for key in ("posts", "projects", "donors", "categories")}
        if min(sizes.values()) < 1 or options["images"] < 1:
            raise CommandError("Every size must be at least 1.")
        self.rng = random.Random(SEED)
        self.images = min(options["images"], sizes["posts"])
        started = time.monotonic()

        existing = current_sizes()
        if existing == sizes and not options["rebuild"]:
            restored = self.write_media(
                Post.objects.exclude(hero_image="").values_list("hero_image", flat=True),
                only_missing=True,
            )
            note = f", {restored} missing image files restored" if restored else ""
            self.stdout.write(f"Reusing the benchmark dataset ({describe(sizes)}){note}.")
        else:
            if any(existing.values()) and not options["rebuild"]:
                raise CommandError(
                    f"The database already holds {describe(existing)}, not the "
                    f"{describe(sizes)} asked for. Run with --rebuild to delete them and "
                    "build again (only on a database made for benchmarks)."
                )
            self.build(sizes)
            self.stdout.write(
                f"Built the benchmark dataset ({describe(sizes)}) in "
                f"{time.monotonic() - started:.0f} s."
            )

        if options["paths_json"]:
            Path(options["paths_json"]).write_text(json.dumps(benchmark_paths(), indent=2))

    # Building -----------------------------------------------------------------------

    def build(self, sizes):
        with transaction.atomic():
            for model in (Post, Category, Donation, Project, Donor, Area):
                model.objects.all().delete()
            categories = self.build_categories(sizes["categories"])
            projects = self.build_registry(sizes["projects"], sizes["donors"])
            hero_names = self.build_posts(sizes["posts"], categories, projects)
        self.write_media(hero_names)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

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
        progress = Progress(self.stderr, "posts", count)
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
        """Write every post's hero file (and the body figures); return how many were written.

        Renditions: posts have no image renditions yet. When the model gains them
        (thumbnails, srcset widths), generate them here once per pool image and link them
        per post the same way, so that the benchmark serves them as production would.
        """
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
        progress = Progress(self.stderr, "hero images", len(hero_names))
        for index, name in enumerate(hero_names):
            if only_missing and default_storage.exists(name):
                continue
            copy_within_storage(pool[index % len(pool)], name)
            written += 1
            if written % 250 == 0:
                progress.update(index + 1)
        progress.done()
        return written


def store(name, content):
    """Save bytes under exactly ``name`` (replacing a file already there)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # pragma: no cover - only if the storage renames despite the delete
        raise CommandError(f"Storage saved {name} as {saved}.")


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


# Generated text -----------------------------------------------------------------------


def generate_body(rng, number, zh_first):
    """About 800 words of Markdown: sections, a table, an image and a list, both languages."""
    headings = HEADINGS_ZH if zh_first else HEADINGS_EN
    figure = f"{settings.MEDIA_URL}{FIGURE_DIR}/figure-{number % FIGURES:02d}.jpg"

    def paragraph(sentences=5):
        english = " ".join(rng.choice(EN_SENTENCES) for _ in range(sentences))
        chinese = "".join(rng.choice(ZH_SENTENCES) for _ in range(2))
        return f"{chinese}\n\n{english}" if zh_first else f"{english} {chinese}"

    rows = "\n".join(
        f"| {rng.choice(PROJECT_PARTS[0])}{rng.choice(PROJECT_PARTS[1])} "
        f"| {rng.choice(DONOR_CITIES)} {rng.choice(DONOR_WORDS)} Technology Co., Ltd. "
        f"| {rng.choice(list(Project.Stage)).label} |"
        for _ in range(8)
    )
    if number % 2:
        image = (
            f'<div align="center">\n  <img src="{figure}" alt="" style="margin: 0 auto;'
            f'width:90%;" />\n</div>\n<center>{rng.choice(ZH_SENTENCES)}</center>'
        )
    else:
        image = f"![{rng.choice(EN_SENTENCES)[:60]}]({figure})"
    sections = [
        paragraph(6),
        f"## {headings[0]}",
        paragraph(7),
        image,
        paragraph(5),
        f"## {headings[1]}",
        "| Project | Donor | Stage |\n| --- | --- | --- |\n" + rows,
        paragraph(6),
        f"## {headings[2]}",
        "\n".join(f"- {rng.choice(EN_SENTENCES)}" for _ in range(4)),
        paragraph(6),
        f"More at [the foundation's site](https://www.openatom.org/) and in the "
        f"[project's repository](https://git.example.org/project-{number}).",
    ]
    return "\n\n".join(sections) + "\n"


def unique_project_names(rng, count):
    names = set()
    while len(names) < count:
        name = rng.choice(PROJECT_PARTS[0]) + rng.choice(PROJECT_PARTS[1])
        if name in names:
            name = f"{name} {len(names)}"
        names.add(name)
    return sorted(names)


def unique_donor_names(rng, count):
    names, slugs = {}, set()
    while len(names) < count:
        roll = rng.random()
        if roll < 0.15:
            name, kind = f"{rng.choice(UNIVERSITIES)}", Donor.Kind.ACADEMIC
            name = name if name not in names else f"{name}, Lab {len(names)}"
        elif roll < 0.22:
            name, kind = (
                f"{rng.choice(DONOR_WORDS)} {rng.choice(['Wei', 'Min', 'Jing'])}",
                Donor.Kind.INDIVIDUAL,
            )
        else:
            name = (
                f"{rng.choice(DONOR_CITIES)} {rng.choice(DONOR_WORDS)} "
                f"{rng.choice(['Technology', 'Software', 'Information', 'Cloud'])} Co., Ltd."
            )
            kind = Donor.Kind.COMPANY
        if name in names or slugify(name) in slugs:
            name = f"{name} ({len(names)})"
        names[name] = kind
        slugs.add(slugify(name))
    return sorted(names.items())


# Reuse, reporting ---------------------------------------------------------------------


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
        "feed": first_reverse("posts:feed", "feed", "posts:rss", "posts:atom"),
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


class Progress:
    """A progress line on stderr, only when stderr is a terminal."""

    def __init__(self, stream, label, total):
        self.stream, self.label, self.total = stream, label, total
        out = getattr(stream, "_out", stream)
        self.enabled = total > 0 and hasattr(out, "isatty") and out.isatty()
        self.started = time.monotonic()

    def update(self, done):
        if self.enabled:
            elapsed = time.monotonic() - self.started
            self.stream.write(
                f"\r  {self.label}: {done:,}/{self.total:,} ({elapsed:.0f} s)", ending=""
            )
            self.stream.flush()

    def done(self):
        if self.enabled:
            self.update(self.total)
            self.stream.write("")
