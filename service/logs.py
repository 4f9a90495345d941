"""Logging as JSON lines, without personal data.

Routes never log bodies, names or identity numbers. As a second line of
defence, a filter masks anything shaped like an identity number (11+ digits)
in every record that reaches our handler. Each line carries the request id of
the request it was written for (``service.observe`` sets it).

    {"ts": "2026-12-02T04:10:00.123Z", "level": "info", "logger": "liushou.access",
     "msg": "POST /v1/assessments 200", "request_id": "…", "route": "/v1/assessments",
     "method": "POST", "status": 200, "duration_ms": 1.8}
"""

import contextvars
import logging
import time

import orjson

from models.identity import masked_text

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
FIELDS = ("route", "method", "status", "duration_ms", "rows", "review_id")  # extra=… keys kept
QUIET = ("alembic", "uvicorn.access")  # start-up chatter (one line per migration step)


class RedactIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = masked_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        current = getattr(record, "request_id", None) or request_id.get()
        if current:
            line["request_id"] = current
        line.update({k: getattr(record, k) for k in FIELDS if hasattr(record, k)})
        if record.exc_info:
            line["error"] = masked_text(self.formatException(record.exc_info))
        return orjson.dumps(line, default=str).decode()


def configure(level: str = "info") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    handler.addFilter(RedactIdNumbers())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
