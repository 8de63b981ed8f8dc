import pytest
from datetime import timedelta
from django.db import connection
from django.utils import timezone
from posts.models import Post

@pytest.mark.django_db
def test_explain():
    now = timezone.now()
    Post.objects.bulk_create([Post(title=f"t{i}", slug=f"s{i}", status="published" if i % 30 else "draft",
        language="zh-hans" if i % 3 == 0 else "en", publish_at=now - timedelta(hours=i), body="x" * 3000,
        body_html="<p>" + "x" * 3000 + "</p>") for i in range(10000)], batch_size=1000)
    with connection.cursor() as c:
        c.execute("ANALYZE posts_post")
    for lang in ("en", "zh-hans"):
        qs = Post.objects.published().for_list().language_first(lang)[20:30]
        print(lang, qs.explain(analyze=True))
        print([p.language for p in qs])
