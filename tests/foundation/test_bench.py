"""Smoke tests of the benchmark harness on a tiny dataset (wrk itself never runs here)."""

import importlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import clear_url_caches, reverse

from foundation.benchmark.serving import parse_wrk
from foundation.factories import make_post
from foundation.management.commands.bench import failure_reason
from posts.images import HERO_ASPECT, rendition_folder
from posts.models import Category, Post
from projects.models import Donation, Donor, Project

TINY = {"posts": 20, "projects": 3, "donors": 5, "categories": 2, "images": 3}


def build(**options):
    out = StringIO()
    call_command("bench_data", stdout=out, stderr=StringIO(), **{**TINY, **options})
    return out.getvalue()


@pytest.fixture
def bench_urls(settings):
    """The URLconf as it is with DJANGO_BENCHMARK_VIEWS=1, put back afterwards."""
    import foundation.urls

    settings.BENCHMARK_VIEWS = True
    clear_url_caches()
    importlib.reload(foundation.urls)
    yield
    settings.BENCHMARK_VIEWS = False
    importlib.reload(foundation.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_bench_data_builds_the_sizes_asked_for(media_root):
    assert "Built the benchmark dataset" in build()

    assert Post.objects.count() == 20
    assert Project.objects.count() == 3
    assert Donor.objects.count() == 5
    assert Category.objects.count() == 2
    for project in Project.objects.all():
        assert 1 <= project.donations.count() <= 3
        assert project.description_html
    for post in Post.objects.prefetch_related("categories", "projects"):
        assert 1 <= len(post.categories.all()) <= 2
        assert len(post.projects.all()) <= 2
        assert (media_root / post.hero_image.name).is_file()
        assert post.hero_image_alt
        assert "<table>" in post.body_html and "<img" in post.body_html
        assert post.excerpt
        # Renditions of its own hero file, and of the body's figure, as update_renditions()
        # would make them; the files exist.
        assert post.hero_renditions and post.body_renditions
        folders = {Path(item["name"]).parent for item in post.hero_renditions}
        assert folders == {Path(rendition_folder(post.hero_image.name, HERO_ASPECT, (0.5, 0.5)))}
        for item in post.hero_renditions + sum(post.body_renditions.values(), []):
            assert (media_root / item["name"]).is_file()
    bodies = " ".join(Post.objects.values_list("body", flat=True))
    assert "基金会" in bodies and "foundation" in bodies
    assert len(bodies.split()) / 20 > 600  # about 800 words a post
    # Each post has a file of its own, even though their bytes come from 3 images.
    assert len({post.hero_image.name for post in Post.objects.all()}) == 20
    assert (
        Post.objects.published().exists()
        and Post.objects.exclude(pk__in=Post.objects.published()).exists()
    )


@pytest.mark.django_db
def test_bench_data_reuses_the_dataset_and_restores_missing_images(media_root):
    build()
    post = Post.objects.order_by("pk").first()
    (media_root / post.hero_image.name).unlink()
    ids = set(Post.objects.values_list("pk", flat=True))

    rendition = media_root / post.hero_renditions[0]["name"]
    rendition.unlink()

    output = build()

    assert "Reusing the benchmark dataset" in output
    assert "1 missing image files restored" in output
    assert "renditions made for 1 posts" in output
    assert rendition.is_file()
    assert set(Post.objects.values_list("pk", flat=True)) == ids
    assert (media_root / post.hero_image.name).is_file()


@pytest.mark.django_db
def test_bench_data_refuses_a_database_with_other_content_unless_rebuilding():
    make_post("A real post")

    with pytest.raises(CommandError, match="--rebuild"):
        build()
    assert Post.objects.filter(title="A real post").exists()

    build(rebuild=True)
    assert Post.objects.count() == 20
    assert not Post.objects.filter(title="A real post").exists()


@pytest.mark.django_db
def test_benchmarked_pages_answer(client, tmp_path, bench_urls):
    paths_file = tmp_path / "paths.json"
    build(paths_json=str(paths_file))
    paths = json.loads(paths_file.read_text())

    assert paths["bare"] == reverse("bench-bare")
    assert paths["news-400"] == reverse("posts:list") + "?page=2"  # the last page of 20 posts
    for key in ("home", "news", "news-400", "category", "post", "project", "donor", "bare"):
        response = client.get(paths[key])
        assert response.status_code == 200, (key, paths[key])
    assert client.get(paths["bare"]).content == b"ok"
    assert Donation.objects.filter(donor__slug=Path(paths["donor"]).name).exists()


@pytest.mark.django_db
def test_bare_view_exists_only_when_benchmark_views_are_on(client):
    assert client.get("/bench/bare/").status_code == 404


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/news/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    41.52ms   12.10ms 210.33ms   80.12%
    Req/Sec   192.47     30.11   260.00     71.00%
  Latency Distribution
     50%   39.80ms
     75%   45.01ms
     90%   55.12ms
     99%    1.20s
  3841 requests in 10.01s, 57.13MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:    383.71
Transfer/sec:      5.71MB
"""


def test_wrk_output_is_read_into_the_table_figures():
    result = parse_wrk(WRK_OUTPUT)

    assert result["rps"] == pytest.approx(383.71)
    assert result["p50"] == pytest.approx(39.8)
    assert result["p99"] == pytest.approx(1200.0)
    assert result["errors"] == 6
    assert result["requests"] == 3841


def test_a_failed_export_is_reported_by_its_error_not_by_the_traceback_tail():
    stderr = (
        "Traceback (most recent call last):\n"
        '  File "manage.py", line 12, in main\n'
        "django.db.utils.ProgrammingError: column posts_post.hero_renditions does not exist\n"
        'LINE 1: ..."posts_post"."language", "posts_pos...\n'
        "                                              ^\n"
        "\tMaximum resident set size (kbytes): 65000\n"
        "Command exited with non-zero status 1\n"
    )

    assert failure_reason(stderr) == (
        "django.db.utils.ProgrammingError: column posts_post.hero_renditions does not exist"
    )
