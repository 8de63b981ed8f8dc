"""Admin logins are throttled against brute force (django-axes, foundation/auth.py): five wrong
passwords for one user name from one address lock that pair out for fifteen minutes, with a
page that says so; other users and other addresses are not affected."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "admin:login"
ATTACKER = "203.0.113.7"


def attempt(client, username, password, address=ATTACKER):
    return client.post(
        reverse(LOGIN),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def logged_in(client):
    return client.get(reverse("admin:index")).status_code == 200


def fail(client, username, times, address=ATTACKER):
    return [attempt(client, username, "not-the-password", address) for _ in range(times)]


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, editor):
    responses = fail(client, "editor", 4)
    for response in responses:  # the usual form error, not yet a lockout
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()

    fifth = attempt(client, "editor", "not-the-password")
    assert fifth.status_code == 429
    assert "Too many failed logins" in fifth.content.decode()

    right = attempt(client, "editor", "editor-pass-123")
    page = right.content.decode()
    assert right.status_code == 429
    assert "Too many failed logins" in page
    assert "Try again in 15 minutes" in page
    assert "even the right password is refused" in page
    assert not logged_in(client)


def test_the_lock_lifts_after_fifteen_minutes(client, editor):
    fail(client, "editor", 5)
    assert attempt(client, "editor", "editor-pass-123").status_code == 429

    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert attempt(client, "editor", "editor-pass-123").status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert attempt(client, "editor", "editor-pass-123").status_code == 302
        assert logged_in(client)


def test_other_users_and_the_same_user_elsewhere_are_not_affected(
    client, client_factory, editor, superuser
):
    fail(client, "editor", 5)
    assert attempt(client, "editor", "editor-pass-123").status_code == 429

    # Another account, from the very same address.
    other = client_factory()
    assert attempt(other, "admin", "admin-pass-123").status_code == 302
    assert logged_in(other)

    # The locked user, from their own office (the lock is on user name *and* address).
    office = client_factory()
    assert attempt(office, "editor", "editor-pass-123", address="198.51.100.20").status_code == 302
    assert logged_in(office)


def test_a_successful_login_resets_the_count(client, editor):
    fail(client, "editor", 4)
    assert attempt(client, "editor", "editor-pass-123").status_code == 302
    client.logout()

    responses = fail(client, "editor", 4)  # four more: still not locked
    assert all(response.status_code == 200 for response in responses)
    assert attempt(client, "editor", "editor-pass-123").status_code == 302


def test_the_lockout_is_reported_in_the_admin_failure_log(client, editor):
    from axes.models import AccessAttempt

    fail(client, "editor", 5)
    record = AccessAttempt.objects.get(username="editor")
    assert record.ip_address == ATTACKER
    assert record.failures_since_start == 5


def test_logins_without_a_request_still_work(client, editor):
    """The test client's ``login()`` and management code call ``authenticate()`` without a
    request; there is no visitor to throttle there, and the login works as before."""
    assert client.login(username="editor", password="editor-pass-123")
    assert logged_in(client)
    assert not client.login(username="editor", password="wrong")


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
