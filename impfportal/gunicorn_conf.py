"""Gunicorn's configuration for the image: ``gunicorn -c python:impfportal.gunicorn_conf``.

- Logs are JSON like the application's (impfportal/logs.py): the access log
  is one object per request with the request id that the response carries,
  the path without query string, booking codes or tokens; gunicorn's own
  messages use the application's formatter and masking.
- Prometheus' multiprocess mode: the workers' counters are written to
  PROMETHEUS_MULTIPROC_DIR (a fresh temporary folder unless set) and added up
  at each scrape; a dead worker's files are kept, its live gauges dropped.
  The variable must be set before any worker imports prometheus_client, which
  is why it is set here, in the master, when this file is loaded.

WEB_CONCURRENCY (gunicorn's own variable) sets the number of workers.
"""

import glob
import json
import logging
import os
import tempfile
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from impfportal.logs import JsonFormatter, MaskNumbers, redact_path

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = 30
accesslog = "-"
errorlog = "-"
logger_class = "impfportal.gunicorn_conf.JsonLogger"

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="impfportal-prometheus-")


def on_starting(server) -> None:
    # Counters of an earlier run in a folder that was given to us would add up
    # with this run's: start from nothing.
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _response_header(resp, name: str) -> str:
    for key, value in getattr(resp, "headers", None) or []:
        if key.lower() == name:
            return value
    return ""


def access_entry(resp, req, environ, request_time) -> dict:
    """One access-log record; what gunicorn knows of a finished request."""
    method = environ.get("REQUEST_METHOD", "")
    path = redact_path(environ.get("PATH_INFO", ""))
    status = int(str(resp.status).split(None, 1)[0]) if resp.status else 0
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": f"{method} {path} {status}",
        "method": method,
        "path": path,
        "status_code": status,
        "duration_ms": round(request_time.total_seconds() * 1000, 1),
        "response_bytes": getattr(resp, "sent", None),
        "request_id": _response_header(resp, "x-request-id"),
    }


class JsonLogger(Logger):
    """Gunicorn's logger with JSON lines: its access log and its error log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
            handler.addFilter(MaskNumbers())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp, req, environ, request_time) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        entry = access_entry(resp, req, environ, request_time)
        self.access_log.info(json.dumps(entry, ensure_ascii=False))
