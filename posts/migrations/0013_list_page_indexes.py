# Lists read a page of ids from one index whatever the page (posts.views.PostPaginator);
# the sitemap's "last changed" reads the newest save of a public post from another.

from django.db import migrations, models

import posts.models


def first_index(code):
    return models.Index(
        posts.models.language_rank(code),
        models.F("publish_at").desc(),
        models.F("id").desc(),
        include=["expire_at", "language"],
        condition=models.Q(status="published"),
        name=f"post_{code.replace('-', '_')}_first_idx",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0012_public_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="post", name="post_en_first_idx"),
        migrations.RemoveIndex(model_name="post", name="post_zh_hans_first_idx"),
        migrations.AddIndex(model_name="post", index=first_index("en")),
        migrations.AddIndex(model_name="post", index=first_index("zh-hans")),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                models.F("updated_at").desc(),
                include=["id", "publish_at", "expire_at"],
                condition=models.Q(status="published"),
                name="post_updated_idx",
            ),
        ),
    ]
