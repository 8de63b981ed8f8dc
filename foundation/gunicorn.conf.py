"""gunicorn settings for `make serve` and production: `gunicorn -c foundation/gunicorn.conf.py
foundation.wsgi`. Every value can be changed by an environment variable.

    PORT / HOST            where to listen (127.0.0.1:8000); GUNICORN_BIND overrides both
    WEB_CONCURRENCY        number of worker processes (default 2 × CPU cores + 1, at most 12)
    GUNICORN_TIMEOUT       seconds a worker may spend on one request before it is restarted
    GUNICORN_GRACEFUL_TIMEOUT  seconds workers get to finish their requests on a restart (HUP)
    GUNICORN_MAX_REQUESTS  restart a worker after this many requests (0, the default: never)
    FORWARDED_ALLOW_IPS    proxies whose X-Forwarded-* headers are trusted (127.0.0.1)

Access log: one JSON object per request on stdout, with the request id that the site's
RequestIdMiddleware gave the request, so that access and application lines can be joined.
"""

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{env_int('PORT', 8000)}"
)
workers = env_int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))
worker_class = "sync"
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Bounds on what a client may send before Django sees it (bodies are capped by Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE and the upload size checks).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "foundation-news"


class JsonAccessLogger(Logger):
    """gunicorn's logger with an access log of one JSON object per line."""

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "remote_addr": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 1),
            "referer": atoms["f"],
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o", "-"),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(entry, ensure_ascii=False))


logger_class = JsonAccessLogger
