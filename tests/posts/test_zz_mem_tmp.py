import tracemalloc, pytest
from foundation.factories import make_post
from posts import exports
from posts.models import Post

@pytest.mark.django_db
@pytest.mark.parametrize("n", [300, 3000])
def test_mem(n):
    first = make_post("p0", hero=True)
    Post.objects.bulk_create([Post(title=f"p{i}", slug=f"p-{i}", body="x " * 2000, hero_image=first.hero_image.name, hero_image_alt="a") for i in range(1, n)])
    for fmt in ["csv"]:
        tracemalloc.start(10)
        it = exports.export(Post.objects.all(), fmt)
        for i, c in enumerate(it):
            if i == n - 50:
                snap = tracemalloc.take_snapshot()
        cur, peak = tracemalloc.get_traced_memory(); tracemalloc.stop()
        print(n, fmt, "peak", peak // 1024, "KB")
        for stat in snap.statistics("traceback")[:3]:
            print(stat); print("\n".join(stat.traceback.format()[-8:]))
    assert 0
