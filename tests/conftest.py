"""Shared fixtures: a temporary MEDIA_ROOT for every test, users with real permissions."""

import pytest
from django.contrib.auth.models import Group, Permission, User


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh folder per test, never to the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def page_cache_off(settings):
    """Most tests change data without going through the admin; the page cache has its own
    tests (tests/foundation/test_pagecache.py), which turn it on."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def editor(db):
    """A staff user in the Editors group that a migration creates."""
    user = User.objects.create_user(
        "editor", "editor@example.org", "editor-pass-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def author(db):
    """A staff user in the Authors group (foundation/migrations/0003_workflow_groups): writes
    and changes their own drafts, submits them for review, cannot publish."""
    user = User.objects.create_user(
        "author", "author@example.org", "author-pass-123", is_staff=True,
        first_name="Ada", last_name="Author",
    )
    user.groups.add(Group.objects.get(name="Authors"))
    return user


@pytest.fixture
def staff_without_permission(db):
    """Staff (may log in to the admin) but holds no permission at all."""
    return User.objects.create_user(
        "staffer", "staffer@example.org", "staff-pass-123", is_staff=True
    )


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin", "admin@example.org", "admin-pass-123")


@pytest.fixture(params=["anonymous", "editor", "staff_without_permission"])
def visitor(request, client):
    """A test client for each kind of visitor of the public site; ``visitor.kind`` says which."""
    if request.param != "anonymous":
        client.force_login(request.getfixturevalue(request.param))
    client.kind = request.param
    return client


def grant(user, *codenames):
    """Give ``user`` permissions by 'app_label.codename'."""
    for dotted in codenames:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # fresh instance: permission cache is per object
