"""Posts in two languages: translations linked both ways, lists in the visitor's language
first, pinyin slugs for Chinese titles, dates in the active language's format."""

from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from foundation.factories import make_donor, make_post, make_project
from posts.models import Post
from posts.slugs import slugify_title
from tests.posts.test_admin import ADD, post_form_data

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


class HeadLinks(HTMLParser):
    """``<link rel="alternate" hreflang>`` in the head and every ``<a>`` (href, text, attrs)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.alternates, self.anchors, self._anchor = {}, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            self.alternates[attrs["hreflang"]] = attrs["href"]
        elif tag == "a":
            self._anchor = {**attrs, "text": ""}
            self.anchors.append(self._anchor)

    def handle_data(self, data):
        if self._anchor is not None:
            self._anchor["text"] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._anchor = None


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parser = HeadLinks()
    parser.feed(response.content.decode())
    return response, parser


def absolute(path):
    return f"http://127.0.0.1:8000{path}"


@pytest.fixture
def pair(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    english = make_post("Donation signing ceremony", slug="donation-signing", language="en")
    chinese = make_post(
        "开放原子开源基金会举行捐赠签约仪式", slug="", language="zh-hans", translation_of=english
    )
    return english, chinese


# --- a post and its translation ----------------------------------------------------------


def test_each_post_lives_at_the_address_of_its_own_language(pair):
    english, chinese = pair
    assert english.get_absolute_url() == "/news/donation-signing/"
    assert chinese.get_absolute_url() == f"/zh-hans/news/{chinese.slug}/"


def test_post_and_translation_point_at_each_other_with_hreflang_both_ways(client, pair):
    english, chinese = pair
    expected = {
        "en": absolute(english.get_absolute_url()),
        "zh-Hans": absolute(chinese.get_absolute_url()),
        "x-default": absolute(english.get_absolute_url()),
    }
    for post in (english, chinese):
        _, links = page(client, post.get_absolute_url())
        assert links.alternates == expected, post.language


def test_visible_read_in_link_in_the_other_language(client, pair):
    english, chinese = pair
    _, links = page(client, english.get_absolute_url())
    read_in = [a for a in links.anchors if a["text"] == "阅读简体中文版"]
    assert [a["href"] for a in read_in] == [chinese.get_absolute_url()]
    assert read_in[0]["lang"] == "zh-Hans" and read_in[0]["hreflang"] == "zh-Hans"

    _, links = page(client, chinese.get_absolute_url())
    read_in = [a for a in links.anchors if a["text"] == "Read in English"]
    assert [a["href"] for a in read_in] == [english.get_absolute_url()]
    assert read_in[0]["lang"] == "en"


def test_language_switcher_on_a_post_goes_to_its_translation(client, pair):
    english, chinese = pair
    _, links = page(client, english.get_absolute_url())
    switcher = [
        a for a in links.anchors if a.get("hreflang") == "zh-Hans" and a["text"] == "简体中文"
    ]
    assert [a["href"] for a in switcher] == [chinese.get_absolute_url()]


def test_a_draft_translation_is_never_linked(client, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    english = make_post("Donation signing ceremony", slug="donation-signing", language="en")
    draft = make_post(
        "捐赠签约仪式",
        slug="juan-zeng",
        language="zh-hans",
        translation_of=english,
        status=Post.Status.DRAFT,
    )
    response, links = page(client, english.get_absolute_url())
    assert draft.get_absolute_url() not in response.content.decode()
    assert links.alternates.get("zh-Hans") != absolute(draft.get_absolute_url())
    assert "阅读简体中文版" not in response.content.decode()
    # Without a published translation the post has no hreflang alternates of its own.
    assert links.alternates == {}


def test_scheduled_translation_is_linked_once_it_goes_live(client, pair):
    english, chinese = pair
    Post.objects.filter(pk=chinese.pk).update(publish_at=timezone.now() + timedelta(days=1))
    assert "阅读简体中文版" not in client.get(english.get_absolute_url()).content.decode()
    Post.objects.filter(pk=chinese.pk).update(publish_at=timezone.now() - timedelta(minutes=1))
    assert "阅读简体中文版" in client.get(english.get_absolute_url()).content.decode()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_finding_the_translation_costs_the_same_queries_either_way(client, pair):
    english, chinese = pair
    alone = make_post("A post without translation", language="en")
    counts = {
        "original": count_queries(client, english.get_absolute_url()),
        "translation": count_queries(client, chinese.get_absolute_url()),
        "alone": count_queries(client, alone.get_absolute_url()),
    }
    assert len(set(counts.values())) == 1, counts


def test_translation_helpers_on_the_model(pair):
    english, chinese = pair
    assert english.translation() == chinese
    assert chinese.translation() == english
    assert make_post("Alone").translation() is None


@pytest.mark.parametrize(
    "case",
    [
        "same language",
        "translation of a translation",
        "itself",
        "original becomes translation",
        "second in one language",
    ],
)
def test_translation_link_rules(pair, case):
    english, chinese = pair
    if case == "same language":
        post = make_post("Another English post", language="en")
        post.translation_of = english
        message = "same language"
    elif case == "translation of a translation":
        post = make_post("Second English", language="en")
        post.translation_of = chinese
        message = "is itself a translation"
    elif case == "itself":
        post = english
        post.translation_of = english
        message = "translation of itself"
    elif case == "original becomes translation":
        post = english
        post.translation_of = make_post("其他文章", language="zh-hans")
        message = "Other posts are translations"
    else:
        post = make_post("另一篇译文", language="zh-hans")
        post.translation_of = english
        message = "already has a translation in this language"
    with translation.override("en"), pytest.raises(ValidationError) as error:
        post.full_clean()
    assert message in str(error.value)


def test_deleting_the_original_keeps_the_translation(client, pair):
    english, chinese = pair
    english.delete()
    chinese.refresh_from_db()
    assert chinese.translation_of is None
    assert client.get(chinese.get_absolute_url()).status_code == 200


# --- lists: the visitor's language first -------------------------------------------------


@pytest.fixture
def mixed_news():
    now = timezone.now()
    return {
        "zh_new": make_post(
            "最新的中文新闻", language="zh-hans", publish_at=now - timedelta(hours=1)
        ),
        "en_mid": make_post("English news", language="en", publish_at=now - timedelta(days=1)),
        "zh_old": make_post(
            "较早的中文新闻", language="zh-hans", publish_at=now - timedelta(days=2)
        ),
        "en_old": make_post(
            "Older English news", language="en", publish_at=now - timedelta(days=3)
        ),
    }


def titles_in(response):
    return [post.title for post in response.context["post_list"]]


def test_news_list_shows_the_visitors_language_first(client, mixed_news):
    news = mixed_news
    english = client.get(reverse("posts:list"))
    assert titles_in(english) == [news[k].title for k in ("en_mid", "en_old", "zh_new", "zh_old")]
    with translation.override("zh-hans"):
        url = reverse("posts:list")
    assert url == "/zh-hans/news/"
    chinese = client.get(url)
    assert titles_in(chinese) == [news[k].title for k in ("zh_new", "zh_old", "en_mid", "en_old")]


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_every_page_of_the_news_follows_the_language_first_order(client, settings, prefix):
    settings.POSTS_PER_PAGE = 3
    now = timezone.now()
    for n in range(11):
        make_post(f"Post {n}", language="zh-hans" if n % 3 else "en",
                  publish_at=now - timedelta(hours=n))
    language = "zh-hans" if prefix else "en"
    expected = list(
        Post.objects.published().language_first(language).values_list("title", flat=True)
    )
    seen = []
    for page in range(1, 5):
        seen += titles_in(client.get(f"{prefix}/news/?page={page}"))
    assert seen == expected
    assert [title.split()[1] for title in seen[:4]] == (
        ["1", "2", "4", "5"] if prefix else ["0", "3", "6", "9"]
    )
    assert client.get(f"{prefix}/news/?page=5").status_code == 404


def test_home_page_shows_the_visitors_language_first(client, mixed_news):
    assert [p.language for p in client.get("/").context["posts"]] == [
        "en",
        "en",
        "zh-hans",
        "zh-hans",
    ]
    assert [p.language for p in client.get("/zh-hans/").context["posts"]] == [
        "zh-hans",
        "zh-hans",
        "en",
        "en",
    ]


def test_project_and_donor_news_show_the_visitors_language_first(client):
    donor = make_donor("Acme Labs")
    project = make_project("Carsmos", donors=[donor])
    now = timezone.now()
    make_post("中文新闻", language="zh-hans", projects=[project], publish_at=now)
    make_post("English news", language="en", projects=[project], publish_at=now - timedelta(days=1))
    for url in (project.get_absolute_url(), donor.get_absolute_url()):
        english = client.get(url).context["posts"]
        assert [post.language for post in english] == ["en", "zh-hans"], url
        chinese = client.get("/zh-hans" + url).context["posts"]
        assert [post.language for post in chinese] == ["zh-hans", "en"], url


def test_language_first_keeps_one_query_and_the_newest_first_within_a_language(mixed_news):
    with CaptureQueriesContext(connection) as queries:
        posts = list(
            Post.objects.published().language_first("zh-hans").values_list("title", flat=True)
        )
    assert len(queries) == 1
    assert posts == ["最新的中文新闻", "较早的中文新闻", "English news", "Older English news"]


def test_list_query_count_is_the_same_in_both_languages(client, mixed_news):
    assert count_queries(client, "/news/") == count_queries(client, "/zh-hans/news/")


# --- pinyin slugs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (
            "开放原子开源基金会举行捐赠签约仪式",
            "kai-fang-yuan-zi-kai-yuan-ji-jin-hui-ju-xing-juan-zeng-qian-yue-yi-shi",
        ),
        ("OpenHarmony 4.0 版本发布", "openharmony-4-0-ban-ben-fa-bu"),
        ("《开源之夏 2023》学生报名启动！", "kai-yuan-zhi-xia-2023-xue-sheng-bao-ming-qi-dong"),
        ("银行", "yin-hang"),  # the word's reading, not 银 + 行 (xing) character by character
        ("Donation signing ceremony", "donation-signing-ceremony"),
        ("🎉", ""),
    ],
)
def test_slugify_title_spells_chinese_in_pinyin(title, slug):
    assert slugify_title(title) == slug


def test_long_titles_are_cut_between_syllables():
    slug = slugify_title("开放原子开源基金会" * 10)
    assert len(slug) <= 80
    assert slug.endswith(("kai", "fang", "yuan", "zi", "ji", "jin", "hui"))
    assert set(slug.split("-")) <= {"kai", "fang", "yuan", "zi", "ji", "jin", "hui"}


def test_post_without_slug_gets_pinyin_and_duplicates_get_a_number(client):
    title = "开放原子开源基金会举行捐赠签约仪式"
    first, second, third = (make_post(title, slug="", language="zh-hans") for _ in range(3))
    base = "kai-fang-yuan-zi-kai-yuan-ji-jin-hui-ju-xing-juan-zeng-qian-yue-yi-shi"
    assert [first.slug, second.slug, third.slug] == [base, f"{base}-2", f"{base}-3"]
    assert client.get(third.get_absolute_url()).status_code == 200


def test_explicit_slug_is_kept_and_saving_again_never_changes_the_slug():
    post = make_post("开源峰会", slug="open-source-summit", language="zh-hans")
    assert post.slug == "open-source-summit"
    post.title = "开源峰会（更新）"
    post.save()
    post.refresh_from_db()
    assert post.slug == "open-source-summit"


def test_a_title_of_four_digits_does_not_take_a_year_archive_address():
    assert make_post("2023", slug="").slug == "post-2023"


@pytest.mark.parametrize(
    ("title", "typed_slug", "saved_slug"),
    [
        ("开放原子开源基金会年度会议", "", "kai-fang-yuan-zi-kai-yuan-ji-jin-hui-nian-du-hui-yi"),
        # What the admin's script types for a mixed title: only the Latin part.
        ("openEuler 社区年度盛会", "openeuler", "openeuler-she-qu-nian-du-sheng-hui"),
        ("开源 2023 峰会", "2023", "kai-yuan-2023-feng-hui"),
        # An editor's own choice stays.
        ("开源峰会", "open-source-summit", "open-source-summit"),
        ("Carsmos joins the foundation", "", "carsmos-joins-the-foundation"),
    ],
)
def test_admin_fills_an_empty_or_script_made_slug_with_pinyin(
    client, editor, title, typed_slug, saved_slug
):
    client.force_login(editor)
    data = post_form_data(title=title, slug=typed_slug, language="zh-hans", status="draft")
    response = client.post(reverse(ADD), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Post.objects.get(title=title).slug == saved_slug


def test_admin_links_a_translation(client, editor, pair):
    english, _chinese = pair
    client.force_login(editor)
    page_html = client.get(reverse(ADD)).content.decode()
    assert 'name="translation_of"' in page_html
    data = post_form_data(
        title="Another language",
        slug="",
        language="zh-hans",
        status="draft",
        translation_of=str(english.pk),
    )
    response = client.post(reverse(ADD), data)
    # The Chinese translation exists already: one per language.
    assert response.status_code == 200
    assert "already has a translation in this language" in response.content.decode()


# --- dates in the active language --------------------------------------------------------


def test_dates_follow_the_active_language(client):
    post = make_post(
        "Signing", language="en", publish_at=datetime(2023, 6, 11, 10, 0, tzinfo=SHANGHAI)
    )
    english = client.get(post.get_absolute_url()).content.decode()
    assert "June 11, 2023" in english
    with translation.override("zh-hans"):
        url = reverse("posts:detail", kwargs={"slug": post.slug})
    chinese = client.get(url).content.decode()
    assert "2023年6月11日" in chinese and "June 11, 2023" not in chinese
    chinese_list = client.get("/zh-hans/news/").content.decode()
    assert "2023年6月11日" in chinese_list


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite (development only) binds the CASE's values as parameters and sorts instead",
)
@pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside a transaction
def test_language_first_list_is_read_from_its_index():
    """A page of a list in the visitor's language first does not sort every post: its order
    is the expression an index of ``Post.Meta.indexes`` holds (one per language)."""
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            title=f"Post {n}",
            slug=f"post-{n}",
            status=Post.Status.PUBLISHED,
            language="zh-hans" if n % 3 == 0 else "en",
            publish_at=now - timedelta(hours=n),
            body="Text.",
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        # What autovacuum does on a live site: statistics and the visibility map, without
        # which PostgreSQL cannot answer from an index alone.
        cursor.execute("VACUUM ANALYZE posts_post")
    for language in ("en", "zh-hans"):
        plan = Post.objects.published().for_list().language_first(language)[20:30].explain()
        assert f"post_{language.replace('-', '_')}_first_idx" in plan, plan
        # A deep page's ids (posts.views.PostPaginator) come from the index alone.
        ids = Post.objects.published().language_first(language).values_list("pk", flat=True)
        plan = ids[2500:2510].explain()
        assert f"Index Only Scan using post_{language.replace('-', '_')}_first_idx" in plan, plan


def test_demo_content_has_a_post_and_its_translation_linked(client):
    from django.core.management import call_command

    call_command("load_demo_content", verbosity=0)
    english = Post.objects.get(slug="community-report-twelve-areas-en")
    assert english.translation().slug == "community-report-twelve-areas"
    html = client.get(english.get_absolute_url()).content.decode()
    assert "阅读简体中文版" in html
