from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = _("News")

    def ready(self):
        from posts import revisions
        from posts.models import Post

        revisions.register(Post)  # every save in a revision block keeps a copy of the post
