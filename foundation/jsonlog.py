"""JSON log lines, one object per line, each carrying the id of the request it belongs to.

Wired up in ``settings.LOGGING``; set ``DJANGO_LOG_FORMAT=text`` for plain lines.
"""

import json
import logging
from datetime import UTC, datetime

from foundation.middleware import request_id_var


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record as ``record.request_id``."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            # Django logs 4xx/5xx responses after the middleware has returned, passing the
            # request along; everything logged during the request finds the id in the context.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "id", None) or request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time, level, logger, message, request id."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
