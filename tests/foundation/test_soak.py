"""`make soak` in miniature: five seconds of visitors, editors saving through the admin and an
export against a real gunicorn on PostgreSQL, then the verdict. Skipped when PostgreSQL does
not answer on 127.0.0.1."""

import io
import re
import uuid

import pytest
from django.core.management import call_command

from tests.foundation.test_two_servers import PG_URL, postgres_answers

pytestmark = pytest.mark.skipif(
    not postgres_answers(), reason="PostgreSQL does not answer on 127.0.0.1"
)


def test_a_short_soak_passes_and_accounts_for_every_save():
    database_url = PG_URL.rsplit("/", 1)[0] + f"/soak_smoke_{uuid.uuid4().hex[:8]}"
    out = io.StringIO()
    call_command(
        "soak", duration=5, visitors=2, editors=1, workers=1, sample_every=2,
        database_url=database_url, stdout=out, stderr=io.StringIO(),
    )
    report = out.getvalue()
    assert "PASSED" in report
    assert "lost: 0" in report and "duplicated: 0" in report and "Errors: 0" in report
    saves = int(re.search(r"Saves: (\d+) accepted", report).group(1))
    assert saves >= 1
    for kind in ("home", "detail", "admin-add", "export"):
        assert re.search(rf"^{kind}\s+\d+", report, re.M), f"no {kind} requests in:\n{report}"
    assert re.search(r"first [\d.]+ MB at \d+ s → last [\d.]+ MB", report)


def test_the_soak_refuses_a_database_that_is_not_postgresql():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("soak", duration=1, database_url="sqlite:///tmp/soak.sqlite3")
