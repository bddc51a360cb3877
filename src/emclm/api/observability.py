"""Running as a service (issue #19, decision 0026): liveness, readiness, request ids, JSON logs, metrics.

``install(app)`` is the one call ``create_app`` makes (last, so the middleware is the outermost one):

- ``GET /healthz``: the process is alive: ``{"status": "ok", "version", "pid"}`` (no database access, so a
  slow database never gets a worker restarted).
- ``GET /readyz``: the process can serve: the database answers and its schema is at the code's Alembic head
  (``emclm.db.migrate.code_heads``); 503 with the reason otherwise (before ``emclm db upgrade``, for example).
- Every request gets a request id: the caller's ``X-Request-ID`` when it is sane (1–128 characters of
  ``[A-Za-z0-9._:-]``), else a new uuid4; it is echoed in the response's ``X-Request-ID`` and is in every log
  record written while the request is handled (a contextvar; Starlette copies it into the threadpool).
- ``EMCLM_LOG_FORMAT=json``: one JSON object per line on stderr for every log record, and one access record
  per request (request id, method, route template, path, status, duration in ms, pid).
- ``GET /metrics``: Prometheus text format from a registry of this app (two apps in one process never share
  counters): ``emclm_http_request_duration_seconds`` (histogram by route template, method, status) and, read
  from the job history tables at scrape time, job runs (harvests and vacancy imports) by source and status,
  their durations and record errors (``emclm_job_*{kind="harvest"|"vacancy_import"}``). With ``EMCLM_METRICS_TOKEN`` set, the scraper must send it as a bearer token.
  Each worker process has its own request histogram: with ``--workers N`` one scrape sees the worker that
  answered it (``emclm_process_info`` names its pid); the job figures come from the database and are the
  same from every worker.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from emclm import __version__
from emclm.config import get_settings

request_id: ContextVar[str | None] = ContextVar("emclm_request_id", default=None)
access_log = logging.getLogger("emclm.access")
error_log = logging.getLogger("emclm.error")

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "<unmatched>"  # a path no route serves: one label, whatever was asked (bounded cardinality)


def sane_request_id(value: str | None) -> str | None:
    return value if value is not None and _SANE_ID.fullmatch(value) else None


# --- logs -------------------------------------------------------------------------------------------------------

_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, pid and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def configure_logging() -> None:
    """Settings ``log_format``: ``json`` puts one JSON handler on the root logger (uvicorn's own loggers
    propagate to it; its access log is replaced by ``emclm.access``); ``text`` leaves logging as it is."""
    settings = get_settings()
    if settings.log_format != "json":
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_emclm_json", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._emclm_json = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


# --- metrics ----------------------------------------------------------------------------------------------------


class JobsCollector:
    """The background jobs there are — catalogue harvests (``catalogue_harvest_run``) and vacancy imports
    (``labour_vacancy_import``) — read from their history tables at scrape time: runs by status, durations
    of finished runs, records that could not be stored, when a job last finished. Label ``kind`` says which."""

    def __init__(self, app: FastAPI):
        self.app = app

    @staticmethod
    def _tables():
        from emclm.catalogue.models import HarvestRun
        from emclm.labour.models import VacancyImport

        return (("harvest", HarvestRun, HarvestRun.failed), ("vacancy_import", VacancyImport, VacancyImport.errors))

    def collect(self):
        from sqlalchemy import func, select

        labels = ["kind", "source"]
        runs = CounterMetricFamily("emclm_job_runs", "Job runs by kind, source and status", labels=[*labels, "status"])
        errors = CounterMetricFamily(
            "emclm_job_record_errors", "Records a job could not store, by kind and source", labels=labels
        )
        seconds = CounterMetricFamily(
            "emclm_job_duration_seconds", "Total duration of finished job runs, by kind and source", labels=labels
        )
        last = GaugeMetricFamily(
            "emclm_job_last_finished_timestamp_seconds",
            "When a job of the kind and source last finished",
            labels=labels,
        )
        session = self.app.state.sessionmaker()
        try:
            finished = []
            for kind, model, failed in self._tables():
                for source, status, n in session.execute(
                    select(model.source, model.status, func.count())
                    .group_by(model.source, model.status)
                    .order_by(model.source, model.status)
                ):
                    runs.add_metric([kind, source, status], n)
                for source, n in session.execute(
                    select(model.source, func.coalesce(func.sum(failed), 0))
                    .group_by(model.source)
                    .order_by(model.source)
                ):
                    errors.add_metric([kind, source], int(n))
                finished += [
                    (kind, *row)
                    for row in session.execute(
                        select(model.source, model.started_at, model.finished_at).where(model.finished_at.is_not(None))
                    )
                ]
        except Exception:  # noqa: BLE001 - no database: /readyz says so; the request metrics still answer
            logging.getLogger(__name__).warning("job metrics: the job history could not be read", exc_info=True)
            return
        finally:
            session.close()
        totals: dict[tuple[str, str], float] = {}
        latest: dict[tuple[str, str], float] = {}
        for kind, source, started, ended in finished:
            started, ended = _aware(started), _aware(ended)
            key = (kind, source)
            totals[key] = totals.get(key, 0.0) + max(0.0, (ended - started).total_seconds())
            latest[key] = max(latest.get(key, 0.0), ended.timestamp())
        for key in sorted(totals):
            seconds.add_metric(list(key), totals[key])
            last.add_metric(list(key), latest[key])
        yield from (runs, errors, seconds, last)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives naive UTC back


class ProcessInfo:
    def collect(self):
        info = GaugeMetricFamily("emclm_process_info", "This worker process", labels=["pid", "version"])
        info.add_metric([str(os.getpid()), __version__], 1)
        yield info


class Metrics:
    def __init__(self, app: FastAPI):
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "emclm_http_request_duration_seconds",
            "Time from request to the end of the response, by route template, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(JobsCollector(app))
        self.registry.register(ProcessInfo())


# --- the middleware ---------------------------------------------------------------------------------------------


class ObservabilityMiddleware:
    """Pure ASGI (streams pass through untouched): request id, latency histogram, access record."""

    def __init__(self, app, *, fastapi_app: FastAPI, metrics: Metrics):
        self.app = app
        self.fastapi_app = fastapi_app
        self.metrics = metrics
        self._templates: dict[object, str] | None = None

    def route_template(self, scope) -> str:
        if self._templates is None:
            from emclm.api.routes_policy import app_mounts, app_routes

            templates: dict[object, str] = {endpoint: path for _, path, endpoint in app_routes(self.fastapi_app)}
            self._templates = templates
            self._mounts = app_mounts(self.fastapi_app)
        endpoint = scope.get("endpoint")
        if endpoint in self._templates:
            return self._templates[endpoint]
        path = scope.get("path", "")
        for mount in self._mounts:
            if path.startswith(mount + "/"):
                return mount
        return UNMATCHED

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                rid = sane_request_id(value.decode("latin-1"))
                break
        rid = rid or uuid.uuid4().hex
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        start = time.perf_counter()

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # logged here, where the request id is still known (the server's own traceback comes later,
            # outside this request's context); the error page is still the server's
            error_log.exception("unhandled error in %s %s", scope.get("method", ""), scope.get("path", ""))
            raise
        finally:
            duration = time.perf_counter() - start
            route = self.route_template(scope)
            method = scope.get("method", "")
            self.metrics.latency.labels(route, method, str(status)).observe(duration)
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                },
            )
            request_id.reset(token)


# --- the routes -------------------------------------------------------------------------------------------------


def _routes(app: FastAPI, metrics: Metrics) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok", "version": __version__, "pid": os.getpid()}

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request):
        from sqlalchemy import text

        from emclm.db.migrate import code_heads, current_heads
        from emclm.db.session import get_engine

        url = request.app.state.database_url
        want = code_heads()
        try:
            with get_engine(url).connect() as conn:
                conn.execute(text("SELECT 1"))
            have = current_heads(url)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the database means not ready
            # the details (host, port, driver message) go to the log, not to whoever asks
            logging.getLogger(__name__).warning("readyz: database unreachable: %s", exc)
            return JSONResponse(
                {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, status_code=503
            )
        if have != want:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "database": "reachable",
                    "schema": f"at {sorted(have) or 'no revision'}, code needs {sorted(want)}: run emclm db upgrade",
                },
                status_code=503,
            )
        return {"status": "ready", "database": "reachable", "schema": sorted(have), "pid": os.getpid()}

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request):
        expected = get_settings().metrics_token
        if expected:
            scheme, _, credential = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), expected.encode()):
                return JSONResponse(
                    {"detail": "metrics: a bearer token (EMCLM_METRICS_TOKEN) is required"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """Health, readiness and metrics routes, and the outermost middleware (call last in ``create_app``)."""
    configure_logging()
    metrics = Metrics(app)
    app.state.metrics = metrics
    _routes(app, metrics)
    app.add_middleware(ObservabilityMiddleware, fastapi_app=app, metrics=metrics)
