"""Generated text for the benchmark dataset: names, titles and Markdown bodies.

Plain functions of a seeded ``random.Random``, so every build gives the same dataset.
"""

from django.conf import settings
from django.utils.text import slugify

from projects.models import Donor, Project

FIGURES = 8
FIGURE_DIR = "posts/body/bench"

# fmt: off
CATEGORY_NAMES = [
    "基金会", "Foundation news", "Project donations", "Events", "开源峰会", "Community",
    "Security advisories", "Releases", "Governance", "TOC", "Incubation", "Developer programs",
    "开发者", "Education", "Partnerships", "Open hardware", "Cloud native", "Operating systems",
    "人工智能", "Interviews",
]
AREA_NAMES = [
    "Operating systems", "Databases", "Cloud native", "Artificial intelligence", "Blockchain",
    "Security", "Middleware", "Open hardware", "Industrial software", "Browser engines",
    "Fonts and typography", "Supercomputing",
]
PROJECT_PARTS = (
    [
        "Open", "Kona", "Tong", "Harmony", "Pix", "Light", "Atom", "Zen", "Star", "River",
        "Cloud", "Deep", "Swift", "Jade", "Hyper", "Nano", "Smart", "Ever", "Mini", "Easy",
    ],
    [
        "Bench", "Link", "Suo", "Stack", "Blink", "Pool", "Base", "DB", "OS", "Flow", "Mesh",
        "Forge", "Spice", "Kit", "Hub", "Lake", "Core", "Wave", "Leaf", "Gate",
    ],
)
DONOR_CITIES = [
    "Beijing", "Shanghai", "Shenzhen", "Hangzhou", "Nanjing", "Wuhan", "Xi'an", "Chengdu",
    "Suzhou", "Guangzhou", "Zhuhai", "Jinan", "Tianjin", "Hefei",
]
DONOR_WORDS = [
    "Huaheng", "Runhe", "Ronghui", "Qulian", "Tongxin", "Wodong", "Xingye", "Shengshi", "Ruiside",
    "Yingjie", "Enfu", "Honghu", "Wanlian", "Zhongke", "Tianjun", "Hongtu", "Xinghuo", "Kaiyuan",
    "Lingxi", "Yunhe",
]
UNIVERSITIES = [
    "Peking University", "Fudan University", "Zhejiang University", "Tsinghua University",
    "Wuhan University of Technology", "Xi'an Jiaotong University",
    "Harbin Institute of Technology",
]
LICENSES = [
    "Apache-2.0", "MulanPSL-2.0", "MIT", "BSD-3-Clause", "GPL-2.0-only", "LGPL-2.1",
]
AUTHORS = [
    "Foundation staff", "Li Wei", "Zhang Min", "Wang Fang", "TOC secretariat", "Chen Jing",
    "Liu Yang", "Community team", "开源原子基金会", "Zhao Lei",
]
EN_EVENTS = [
    "joins the foundation's incubator", "signs its donation agreement",
    "ships a long-term support release", "graduates from incubation",
    "holds its first developer meetup", "passes the TOC technical review",
    "publishes its security audit", "welcomes new maintainers", "opens its roadmap",
]
ZH_EVENTS = [
    "捐赠签约仪式举行", "正式进入孵化阶段", "发布长期支持版本", "顺利毕业", "首届开发者大会召开",
    "通过技术监督委员会评审", "社区治理委员会成立",
]
EN_SENTENCES = [
    "The foundation brings developers, companies and universities together around code that "
    "anyone may read, change and share.",
    "Since its establishment the foundation has widened the open source services it offers "
    "and linked developers, projects and communities across the country.",
    "More than thirty projects have passed the technical review of the Technical Oversight "
    "Committee, covering operating systems, storage, security, middleware and cloud native "
    "computing.",
    "The signing ceremony took place at the opening of the Global Open Source Summit, "
    "attended by representatives of the donors and of the local government.",
    "Maintainers from five companies reviewed the proposal and agreed on a governance model "
    "in which every decision is taken in the open.",
    "The project's code moved to a neutral code hosting platform, where the history of every "
    "change remains visible.",
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
    "Benchmarks published with the release compare it with the previous version on the same "
    "hardware and explain the method.",
    "An open call for mentors is running until the end of the month.",
    "Companies that build products on the project are invited to share their experience in "
    "the user forum.",
    "The roadmap for the next year focuses on stability, observability and a smoother upgrade"
    " path.",
]
ZH_SENTENCES = [
    "开放原子开源基金会致力于推动全球开源事业发展，服务开发者、开源项目和开源社区。",
    "本次签约仪式在开源峰会开幕式上举行，捐赠方代表与基金会理事长共同签署了捐赠协议。",
    "目前已有三十余个开源项目通过技术监督委员会的技术准"
    "入，覆盖操作系统、数据库、云原生、人工智能等领域。",
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
    "Background", "What was donated", "Governance", "Next steps", "How to take part",
    "Release highlights", "Thanks",
]
HEADINGS_ZH = [
    "背景", "项目介绍", "社区治理", "下一步计划", "如何参与", "致谢",
]
# fmt: on


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
