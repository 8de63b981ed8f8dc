import tracemalloc, pytest
from itertools import islice
from django.db.models import Prefetch, prefetch_related_objects, Q
from foundation.factories import make_post
from posts import exports
from posts.models import Post, Category

def peak(fn):
    tracemalloc.start(); fn(); p = tracemalloc.get_traced_memory()[1]; tracemalloc.stop(); return p // 1024

@pytest.mark.django_db
@pytest.mark.parametrize("n", [1500, 6000])
def test_mem(n):
    first = make_post("p0", hero=True)
    Post.objects.bulk_create([Post(title=f"p{i}", slug=f"p-{i}", body="x " * 2000, hero_image=first.hero_image.name, hero_image_alt="a") for i in range(1, n)])
    def manual():
        it = Post.objects.select_related("author").order_by("publish_at","id").iterator(chunk_size=200)
        while chunk := list(islice(it, 200)):
            prefetch_related_objects(chunk, Prefetch("categories", queryset=Category.objects.all()), "projects")
    def keyset():
        qs = Post.objects.select_related("author").prefetch_related("categories", "projects").order_by("publish_at","id")
        last = None
        while True:
            page = qs if last is None else qs.filter(Q(publish_at__gt=last.publish_at) | Q(publish_at=last.publish_at, id__gt=last.id))
            chunk = list(page[:200])
            if not chunk: break
            last = chunk[-1]
    print(n, "manual", peak(manual), "keyset", peak(keyset))
    assert 0
