"""``manage.py prune_renditions``: delete image renditions that no post uses any more.

The admin, the importers and the factories remove a post's old renditions themselves
(``posts/images.py``). Posts deleted some other way (a shell, ``bench_data --rebuild``) or a
change of ``RENDITION_VERSION`` leave folders behind under ``renditions/``; this removes them.
``--rebuild`` first (re)makes the renditions of every post (only missing files are written),
e.g. after restoring the media folder or changing ``RENDITION_VERSION``.
"""

from django.core.management.base import BaseCommand

from posts import images
from posts.models import Post

REBUILD_FIELDS = (
    "id",
    "body_html",
    "hero_image",
    "hero_image_width",
    "hero_image_height",
    "hero_focal_x",
    "hero_focal_y",
    "hero_renditions",
    "body_renditions",
)


class Command(BaseCommand):
    help = "Delete rendition folders no post refers to (and, with --rebuild, make missing ones)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list what would be deleted."
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="First make every post's renditions again, writing any file that is missing.",
        )

    def handle(self, *args, **options):
        if options["rebuild"] and not options["dry_run"]:
            changed = sum(
                bool(post.update_renditions(force=True))
                for post in Post.objects.only(*REBUILD_FIELDS).iterator(chunk_size=200)
            )
            self.stdout.write(f"Renditions made or updated for {changed} posts.")
        removed = images.prune(dry_run=options["dry_run"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        for folder in removed:
            self.stdout.write(f"  {folder}")
        self.stdout.write(f"{verb} {len(removed)} unused rendition folders.")
