"""``manage.py ensure_admin``: an ``admin`` superuser and an ``editor`` demo account.

Passwords come from ``DJANGO_ADMIN_PASSWORD`` / ``DJANGO_EDITOR_PASSWORD``, or are generated
once, printed once and kept in ``.admin-password`` (repository root, git-ignored, readable
by its owner only). Idempotent: an existing account keeps its password, unless the
environment variable names a different one. The ``editor`` account joins the ``Editors``
group, which a migration creates; without that group it is not created.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.urls import reverse

EDITORS_GROUP = "Editors"


def read_password_file(path):
    """``{username: password}`` from a password file (missing file: empty)."""
    if not path.exists():
        return {}
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and ":" in line:
            username, password = line.split(":", 1)
            entries[username.strip()] = password.strip()
    return entries


def write_password_file(path, entries):
    lines = [
        "# Demo accounts written by `manage.py ensure_admin`. Not committed (see .gitignore).",
        *(f"{username}: {password}" for username, password in entries.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


class Command(BaseCommand):
    help = (
        "Create the admin superuser (and an editor demo account) if missing; print how to log in."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password-file",
            default=str(Path(settings.BASE_DIR) / ".admin-password"),
            help="Where generated passwords are kept (default: .admin-password in the repo root).",
        )

    def handle(self, *args, password_file, **options):
        path = Path(password_file)
        self.file_label = path.name
        stored = read_password_file(path)
        lines = []

        admin_line = self.ensure_account("admin", "DJANGO_ADMIN_PASSWORD", stored, superuser=True)
        lines.append(admin_line)
        editors = Group.objects.filter(name=EDITORS_GROUP).first()
        if editors is None:
            lines.append("  (no Editors group yet: run migrate first; no editor account created)")
        else:
            lines.append(
                self.ensure_account("editor", "DJANGO_EDITOR_PASSWORD", stored, group=editors)
            )
        if stored != read_password_file(path):
            write_password_file(path, stored)

        url = settings.SITE_URL.rstrip("/") + reverse("admin:index")
        self.stdout.write(self.style.SUCCESS(f"Log in at {url}"))
        for line in lines:
            self.stdout.write(line)

    def ensure_account(self, username, env_name, stored, superuser=False, group=None):
        User = get_user_model()
        from_env = os.environ.get(env_name)
        user = User.objects.filter(username=username).first()
        if user is None:
            password = from_env or secrets.token_urlsafe(12)
            if superuser:
                user = User.objects.create_superuser(username, f"{username}@example.org", password)
            else:
                user = User.objects.create_user(
                    username, f"{username}@example.org", password, is_staff=True
                )
            if from_env:
                shown = f"the value of {env_name}"
            else:
                stored[username] = password
                shown = f"{password}   (saved in {self.file_label})"
            state = "created"
        else:
            state = "exists"
            if from_env and not user.check_password(from_env):
                user.set_password(from_env)
                user.save(update_fields=["password"])
                stored.pop(username, None)
                shown, state = f"the value of {env_name}", "password changed"
            elif username in stored and user.check_password(stored[username]):
                shown = f"see {self.file_label}"
            else:
                shown = "unchanged (not generated here)"
        if superuser and not (user.is_superuser and user.is_staff and user.is_active):
            user.is_superuser = user.is_staff = user.is_active = True
            user.save(update_fields=["is_superuser", "is_staff", "is_active"])
        if group is not None and not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
        role = "superuser" if superuser else f"{group.name} group"
        return f"  user: {username:<7} password: {shown}   [{role}, {state}]"
