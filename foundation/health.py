"""Health endpoints for load balancers and orchestrators.

``/healthz`` answers as long as the process can serve a request (liveness): it touches
neither the database nor the cache, so a database outage does not get healthy workers
restarted. ``/readyz`` says whether this instance should receive traffic (readiness): the
database and the cache answer and every migration is applied. Both are exempt from the
HTTPS redirect so that a probe on the private network can reach them over plain HTTP; the
probe must still send a ``Host`` header listed in ``DJANGO_ALLOWED_HOSTS``.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


class NotReady(Exception):
    """A check failed for a reason of our own, safe to show in the response."""


@never_cache
@require_safe
def healthz(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def check_database():
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise NotReady("the cache did not return what was just stored")


def check_migrations():
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan)
        raise NotReady(f"unapplied migrations: {names}")


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "migrations": check_migrations,
}


@never_cache
@require_safe
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        if name == "migrations" and results.get("database") != "ok":
            results[name] = "skipped: database unavailable"
            continue
        try:
            check()
        except NotReady as error:
            results[name] = f"failed: {error}"
        except Exception as error:  # any failure means "not ready"
            # Only the error's class: its message may name internal hosts or users.
            logger.warning("readyz: %s check failed", name, exc_info=True)
            results[name] = f"failed: {type(error).__name__}"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    failed = [name for name, value in results.items() if value.startswith("failed")]
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "failed": failed, "checks": results},
        status=200 if ready else 503,
    )
