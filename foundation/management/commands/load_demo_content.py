"""``manage.py load_demo_content``: the content a fresh clone shows on first start.

- the twelve technical areas the foundation groups projects in;
- the 20 projects donated on 11 June 2023 and their donors, read from the table at the end
  of the sample post (``foundation/demo/jekyll/_posts/…``; see ``foundation/demo/README.md``);
- a few categories;
- the sample post itself, imported through the Jekyll importer like any editor's import,
  with labelled stand-ins for its two images, which the old site did not preserve;
- a handful of English and Chinese posts with generated hero images, one of them scheduled
  and one a draft.

Idempotent: every row is looked up by its slug (or name) first, so running the command again
creates nothing new and changes nothing an editor has changed since.
"""

import re
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from foundation.factories import image_bytes, image_file, make_post
from foundation.pagecache import content_changed
from posts.imports.jekyll import import_paths
from posts.models import Category, Language, Post
from projects.models import Area, Donation, Donor, Project

DEMO_DIR = Path(settings.BASE_DIR) / "foundation" / "demo"
SAMPLE_POST = DEMO_DIR / "jekyll" / "_posts" / "2023-06-11-carsmos-donation-signing-ceremony.md"
SAMPLE_SLUG = "carsmos-donation-signing-ceremony"
SAMPLE_IMAGES = {"img/blog/d1.jpg": ("JPEG", 0), "img/blog/d2.png": ("PNG", 3)}
DONATED_ON = date(2023, 6, 11)

# The twelve key areas the sample post names, in its order.
AREAS = [
    "Operating systems",
    "Storage",
    "Security",
    "Middleware",
    "Cloud native",
    "Supercomputing",
    "Artificial intelligence",
    "Blockchain",
    "Open-source hardware",
    "Industrial software",
    "Browser kernel",
    "Font standards",
]
# Where a project's field is plain from what it is; the others are left without an area.
PROJECT_AREAS = {
    "Vearch": "artificial-intelligence",  # vector search for AI applications
    "SmartIDE": "cloud-native",  # cloud development environments
    "QUICKPOOL": "supercomputing",  # HPC workload scheduler
    "OpenNJet": "middleware",  # application engine (web server, proxy)
    "PUACleaner": "security",
    "Tongsuo": "security",  # cryptography library
    "HyperBench": "blockchain",  # blockchain benchmarking
    "MiniBlink": "browser-kernel",
    "RT-Thread Nano": "operating-systems",  # real-time OS
    "openDACS": "industrial-software",  # chip design (EDA) tools
    "CARSMOS": "operating-systems",  # automotive OS
    "TKEStack": "cloud-native",  # Kubernetes distribution
    "Open GoldenLight SPICE": "industrial-software",  # circuit simulation
    "EasyBaaS": "blockchain",  # blockchain as a service
}
CATEGORIES = [
    ("基金会", "基金会", "News from the foundation itself."),
    ("Donations", "donations", "Projects donated to the foundation and the people behind them."),
    ("Events", "events", "Summits, meetups and workshops."),
    ("Community", "community", "What the projects' communities are doing."),
]

# --------------------------------------------------------------------------- the donors' table

# Commas inside a donor's own name: "Co., Ltd.", "Technologies, Inc.", and the Chinese
# Academy of Sciences' institutes ("Institute of Software, Chinese Academy of Sciences").
_NAME_CONTINUATIONS = re.compile(r"^(Ltd\.?|Inc\.?|LLC|Limited|Corp\.?)$", re.I)
_NOT_A_DONOR = re.compile(r"\s+and other colleges and enterprises\s*$", re.I)
# Typos of the machine-translated original, corrected where the intended name is certain.
CORRECTIONS = {"hanghai Ruiside": "Shanghai Ruiside"}
ACADEMIC_WORDS = re.compile(r"\b(University|Institute|Academy|College)\b")
# Donors named like a person ("Xiang Jin"): a common Chinese family name, then a given name.
CHINESE_FAMILY_NAMES = {
    "Chen",
    "Gao",
    "Guo",
    "He",
    "Hu",
    "Huang",
    "Li",
    "Lin",
    "Liu",
    "Luo",
    "Ma",
    "Sun",
    "Tang",
    "Wang",
    "Wu",
    "Xiang",
    "Xu",
    "Yang",
    "Zhang",
    "Zhao",
    "Zheng",
    "Zhou",
    "Zhu",
}


def _split_top_level(text):
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [part.strip() for part in [*parts, current] if part.strip()]


def split_donors(cell):
    """The donor names in one table cell, lead donor first."""
    names = []
    for part in _split_top_level(_NOT_A_DONOR.sub("", cell.replace("**", "").strip())):
        continues_company = names and _NAME_CONTINUATIONS.match(part)
        continues_institute = (
            names and part == "Chinese Academy of Sciences" and names[-1].startswith("Institute of")
        )
        if continues_company or continues_institute:
            names[-1] = f"{names[-1]}, {part}"
        else:
            names.append(part)
    for wrong, right in CORRECTIONS.items():
        names = [right + name[len(wrong) :] if name.startswith(wrong) else name for name in names]
    return names


def donor_kind(name):
    if ACADEMIC_WORDS.search(name):
        return Donor.Kind.ACADEMIC
    words = name.split()
    if len(words) == 2 and words[0] in CHINESE_FAMILY_NAMES and words[1].isalpha():
        return Donor.Kind.INDIVIDUAL
    return Donor.Kind.COMPANY


def parse_donation_table(markdown):
    """``[(project name, [donor names])]`` from the sample post's Markdown table."""
    rows = []
    for line in markdown.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) < 2 or set(cells[0]) <= set("-: "):
            continue  # the separator row
        project = cells[0].replace("**", "").strip()
        if project.lower() == "project name":
            continue  # the header row
        rows.append((project, split_donors(cells[1])))
    return rows


# --------------------------------------------------------------------------- demo posts

DEMO_POSTS = [
    {
        "slug": "how-to-donate-a-project",
        "title": "How to donate an open-source project to the foundation",
        "language": Language.ENGLISH,
        "days_ago": 12,
        "categories": ["donations", "community"],
        "projects": ["Tongsuo", "RT-Thread Nano"],
        "hero": "Donating a project",
        "summary": "From the first conversation to the signing ceremony: the steps a project "
        "takes to join the foundation.",
        "body": """\
A donation moves a project's trademarks, domain names and other assets to a neutral home,
so that no single company decides its future.

## The steps

1. **First contact.** Write to the foundation with a short description of the project.
2. **Technical access.** The Technical Oversight Committee (TOC) reviews the code, the
   licence and the community.
3. **Signing.** The donors and the foundation sign the donation agreement.
4. **Incubation.** The project works towards graduation with the foundation's help.

| Stage | What it means |
| --- | --- |
| Donated | The agreement is signed. |
| Accepted | The TOC has reviewed the project. |
| Incubating | The project is building its community. |
| Graduated | The project is mature and self-governing. |

Projects such as Tongsuo and RT-Thread Nano went through these steps.[^1]

[^1]: See each project's page in the registry for the dates of its stages.
""",
    },
    {
        "slug": "community-report-twelve-areas",
        "title": "社区月报：十二个技术领域的项目进展",
        "language": Language.SIMPLIFIED_CHINESE,
        "days_ago": 3,
        "categories": ["基金会", "community"],
        "projects": ["TKEStack", "RT-Thread Nano", "Tongsuo"],
        "hero": "Community report",
        "summary": "基金会托管的项目覆盖操作系统、存储、安全、云原生等十二个技术领域。",
        "body": """\
开放原子开源基金会托管的开源项目覆盖**十二个**重点技术领域，本期月报介绍其中三个项目的社区动态。

## 本月亮点

- **TKEStack**：云原生领域的容器管理平台，社区发布了新的安装文档。
- **RT-Thread Nano**：面向资源受限设备的实时操作系统内核，新增多个开发板示例。
- **铜锁（Tongsuo）**：提供现代密码学算法和安全通信协议的开源基础库。

| 技术领域 | 项目 |
| --- | --- |
| 云原生 | TKEStack |
| 操作系统 | RT-Thread Nano |
| 安全 | Tongsuo |

欢迎开发者参与项目贡献，共建开源生态。
""",
    },
    {
        # The English translation of the report above: the two pages link to each other.
        "slug": "community-report-twelve-areas-en",
        "translation_of": "community-report-twelve-areas",
        "title": "Community report: projects in twelve technical areas",
        "language": Language.ENGLISH,
        "days_ago": 3,
        "categories": ["community"],
        "projects": ["TKEStack", "RT-Thread Nano", "Tongsuo"],
        "hero": "Community report",
        "summary": "The projects the foundation hosts cover twelve technical areas, from "
        "operating systems and storage to security and cloud native.",
        "body": """\
The open-source projects hosted by the foundation cover **twelve** key technical areas. This
month's report looks at the communities of three of them.

## Highlights of the month

- **TKEStack**: a container management platform for cloud native; the community published
  new installation guides.
- **RT-Thread Nano**: a real-time operating system kernel for constrained devices, with
  examples for several new boards.
- **Tongsuo**: a library of modern cryptographic algorithms and secure protocols.

| Technical area | Project |
| --- | --- |
| Cloud native | TKEStack |
| Operating systems | RT-Thread Nano |
| Security | Tongsuo |

Developers are welcome to contribute and help build the open-source ecosystem.
""",
    },
    {
        "slug": "donors-from-universities-and-institutes",
        "title": "Meet the donors: universities and research institutes",
        "language": Language.ENGLISH,
        "days_ago": 20,
        "categories": ["donations"],
        "projects": ["openDACS", "PUACleaner", "Open GoldenLight SPICE"],
        "hero": "Meet the donors",
        "summary": "Several of the projects donated in June 2023 come from universities and "
        "research institutes.",
        "body": """\
Not every donor is a company. Among the twenty projects donated at the 2023 summit:

- **openDACS**, chip design tools from institutes of the Chinese Academy of Sciences and
  several universities;
- **PUACleaner**, from the China Electronics Standardization Institute and the Institute of
  Software of the Chinese Academy of Sciences;
- **Open GoldenLight SPICE**, circuit simulation co-donated by a vocational college.

The registry lists every donor, and each donor's page lists what it donated.
""",
    },
    {
        "slug": "developer-salon-opendacs",
        "title": "开发者沙龙回顾：开源芯片设计工具 openDACS",
        "language": Language.SIMPLIFIED_CHINESE,
        "days_ago": 6,
        "categories": ["基金会", "events"],
        "projects": ["openDACS"],
        "hero": "Developer salon",
        "summary": "来自高校和企业的开发者交流了开源芯片设计工具的现状与规划。",
        "body": """\
本次开发者沙龙围绕开源芯片设计工具 **openDACS** 展开，来自高校、科研院所和企业的开发者参加了交流。

> 开源让更多人能够参与芯片设计工具的研发。

### 议程

1. 项目介绍与路线图
2. 社区贡献指南
3. 自由交流

会议资料将在项目仓库中发布。
""",
    },
    {
        "slug": "save-the-date-hardware-meetup",
        "title": "Save the date: open-source hardware meetup",
        "language": Language.ENGLISH,
        "days_ago": -14,  # scheduled: appears by itself in two weeks
        "categories": ["events"],
        "projects": ["openDACS", "RT-Thread Nano"],
        "hero": "Hardware meetup",
        "summary": "An afternoon of talks on open-source chips, boards and real-time systems.",
        "body": "Talks on open-source chip design and embedded systems. Details follow.\n",
    },
    {
        "slug": "annual-report-outline",
        "title": "Annual report outline",
        "language": Language.ENGLISH,
        "days_ago": 1,
        "status": Post.Status.DRAFT,
        "categories": ["community"],
        "projects": [],
        "hero": "Annual report",
        "summary": "",
        "body": "Draft: the year in numbers, new projects, graduations, events.\n",
    },
]


class Command(BaseCommand):
    help = "Load the demo content: areas, the donated projects and donors, categories, posts."

    def handle(self, *args, **options):
        before = self.counts()
        with transaction.atomic():
            self.load_areas()
            self.load_categories()
            projects = self.load_registry()
        self.load_sample_post(projects)
        self.load_demo_posts()
        after = self.counts()
        content_changed()
        for label, count in after.items():
            added = count - before[label]
            self.stdout.write(f"  {label:<10} {count:>4}" + (f"  (+{added})" if added else ""))
        if after == before:
            self.stdout.write(self.style.SUCCESS("Demo content already loaded; nothing changed."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo content loaded."))

    @staticmethod
    def counts():
        return {
            "areas": Area.objects.count(),
            "projects": Project.objects.count(),
            "donors": Donor.objects.count(),
            "donations": Donation.objects.count(),
            "categories": Category.objects.count(),
            "posts": Post.objects.count(),
        }

    def load_areas(self):
        for position, name in enumerate(AREAS):
            Area.objects.get_or_create(
                slug=slugify(name), defaults={"name": name, "position": position}
            )

    def load_categories(self):
        for position, (name, slug, description) in enumerate(CATEGORIES):
            Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description, "position": position}
            )

    def load_registry(self):
        """The 20 projects and their donors from the sample post's table."""
        rows = parse_donation_table(SAMPLE_POST.read_text(encoding="utf-8"))
        if len(rows) != 20:
            raise CommandError(f"Expected 20 projects in {SAMPLE_POST}, found {len(rows)}.")
        areas = {area.slug: area for area in Area.objects.all()}
        projects = []
        for name, donor_names in rows:
            donors = [
                Donor.objects.get_or_create(
                    name=donor_name,
                    defaults={"slug": slugify(donor_name)[:200], "kind": donor_kind(donor_name)},
                )[0]
                for donor_name in donor_names
            ]
            credit = ", ".join(donor_names)
            project, _ = Project.objects.get_or_create(
                name=name,
                defaults={
                    "slug": slugify(name),
                    "area": areas.get(PROJECT_AREAS.get(name, "")),
                    "summary": f"Donated to the foundation on 11 June 2023 by {donors[0].name}."[
                        :300
                    ],
                    "description": (
                        f"{name} was donated to the Open Atom Open Source Foundation at the "
                        f"opening of the 2023 Open Atom Global Open Source Summit.\n\n"
                        f"Donors: {credit}."
                    ),
                    "stage": Project.Stage.DONATED,
                    "donated_on": DONATED_ON,
                },
            )
            for order, donor in enumerate(donors):
                Donation.objects.get_or_create(
                    project=project,
                    donor=donor,
                    defaults={
                        "order": order,
                        "role": Donation.Role.LEAD if order == 0 else Donation.Role.CO_DONOR,
                        "signed_on": DONATED_ON,
                    },
                )
            projects.append(project)
        return projects

    def load_sample_post(self, projects):
        """Import the sample post with stand-ins for its lost images; link its projects."""
        if not Post.objects.filter(slug=SAMPLE_SLUG).exists():
            site = Path(tempfile.mkdtemp(prefix="demo-jekyll-"))
            try:
                (site / "_posts").mkdir()
                shutil.copy(SAMPLE_POST, site / "_posts" / SAMPLE_POST.name)
                for relpath, (fmt, seed) in SAMPLE_IMAGES.items():
                    path = site / relpath
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(
                        image_bytes((1200, 675), text="Image not preserved", fmt=fmt, seed=seed)
                    )
                report = import_paths([site / "_posts" / SAMPLE_POST.name], site_root=site)
            finally:
                shutil.rmtree(site, ignore_errors=True)
            if report.failed:
                raise CommandError(f"The sample post did not import: {report.failures[0].reason}")
            post = Post.objects.get(slug=SAMPLE_SLUG)
            post.hero_image_alt = (
                "Stand-in image: the photo of the signing ceremony was not preserved"
            )
            post.summary = (
                "Twenty open-source projects, CARSMOS among them, were donated to the "
                "foundation at the 2023 Open Atom Global Open Source Summit."
            )
            post.save(update_fields=["hero_image_alt", "summary"])
        post = Post.objects.get(slug=SAMPLE_SLUG)
        if not post.projects.exists():
            post.projects.set(projects)
            post.categories.add(Category.objects.get(slug="donations"))

    def load_demo_posts(self):
        categories = {category.slug: category for category in Category.objects.all()}
        now = timezone.now()
        for seed, spec in enumerate(DEMO_POSTS, start=1):
            if Post.objects.filter(slug=spec["slug"]).exists():
                continue
            make_post(
                spec["title"],
                slug=spec["slug"],
                status=spec.get("status", Post.Status.PUBLISHED),
                publish_at=now - timedelta(days=spec["days_ago"]),
                language=spec["language"],
                summary=spec["summary"],
                body=spec["body"],
                author_name="Foundation news team",
                categories=[categories[slug] for slug in spec["categories"]],
                projects=list(Project.objects.filter(name__in=spec["projects"])),
                # English labels: the generated image's font has no Chinese glyphs.
                hero_image=image_file(f"{spec['slug']}.jpg", text=spec["hero"], seed=seed),
                hero_image_alt=f"Illustration: {spec['hero']}",
                translation_of=Post.objects.filter(slug=spec.get("translation_of", "")).first(),
            )
