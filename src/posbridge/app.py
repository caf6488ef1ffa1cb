"""The ASGI application: the SPI, Wix webhooks, the admin API and health, wired to one database."""

from __future__ import annotations

import gc
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from posbridge import __version__
from posbridge.config import Settings, load_settings
from posbridge.jobs import build_queue
from posbridge.logs import configure_logging, get_logger, request_id_var
from posbridge.store.db import Database

REQUEST_ID_HEADER = "X-Request-Id"
log = get_logger("app")


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """Build the application for these settings (and this database, when the caller owns it)."""
    configure_logging(settings.log_level, json=settings.log_json)
    for warning in settings.warnings:
        log.warning("setting_ignored", reason=warning)
    app = FastAPI(
        title="posbridge",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        lifespan=_jobs_lifespan,
    )
    app.state.settings = settings
    # Every handler thread may hold a pooled connection at once, so the pool is never the smaller.
    app.state.db = db or Database(
        settings.database_url,
        pool_size=max(20, settings.threadpool_size),
        timeout_seconds=settings.db_timeout_seconds,
    )
    app.state.jobs = build_queue(settings, app.state.db)

    @app.middleware("http")
    async def request_id_middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get(REQUEST_ID_HEADER) or request.headers.get("x-wix-request-id") or uuid.uuid4().hex
        token = request_id_var.set(rid)
        request.state.request_id_token = token
        try:
            response = await call_next(request)
        finally:
            # A handler may have replaced it with the SPI envelope's metadata.requestId; the
            # endpoint runs in a child task, so it leaves it on request.state, not in the context var.
            rid = getattr(request.state, "request_id", None) or request_id_var.get() or rid
            request_id_var.reset(token)
        response.headers[REQUEST_ID_HEADER] = rid
        return response

    @app.get("/livez", include_in_schema=False)
    def livez() -> dict[str, str]:
        # No I/O: the framework floor the SPI benchmark compares against.
        return {"status": "ok"}

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        # Each check is bounded (the database budget, the queue's socket timeouts).
        database = app.state.db.ping()
        queue_problem = app.state.jobs.problem()
        if queue_problem:
            log.warning("healthz.queue_unreachable", reason=queue_problem)
        ok = database and queue_problem is None
        body: dict[str, object] = {
            "status": "ok" if ok else "unavailable",
            "database": database,
            "queue": queue_problem is None,
        }
        if database:
            # Orders needing attention do not make the service unhealthy; monitoring alerts on the count.
            body["details"] = {"ordersNeedingAttention": _attention_count(app.state.db)}
        return JSONResponse(body, status_code=200 if ok else 503)

    _mount_routers(app)
    return app


def _attention_count(db: Database) -> int | None:
    from posbridge.services.attention import count

    try:
        return count(db)
    except Exception:
        log.exception("healthz.attention_count_failed")
        return None


def create_app_from_env() -> FastAPI:
    """The application for the environment's settings (`uvicorn posbridge.app:create_app_from_env --factory`)."""
    return create_app(load_settings())


# --- Background jobs ----------------------------------------------------------------------------


_FROZEN = threading.Event()


def freeze_startup_heap() -> None:
    """Once per process, when the app starts: what lives as long as the process (modules, routes,
    templates, settings) leaves the garbage collector's scans.

    Otherwise every full collection walks those ~200k objects again, and the young objects a page
    render leaves behind trigger one every few pages: measured ~150 ms a pass, once every ~8
    dashboard pages (docs/benchmarks.md, "Dashboard page"). Frozen objects are never freed, which
    is what objects that live as long as the process need; later garbage is collected as before.
    """
    if _FROZEN.is_set():
        return
    _FROZEN.set()
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def _jobs_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Size the handler threadpool; run the in-process worker (settings.run_worker) until exit."""
    # The limiter belongs to the running event loop, so it can only be sized once the loop runs.
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.threadpool_size
    freeze_startup_heap()
    jobs = app.state.jobs
    if app.state.settings.run_worker:
        jobs.start_consumer()
    try:
        yield
    finally:
        jobs.close()


def _mount_routers(app: FastAPI) -> None:
    """Attach every adapter's router (each module is a thin layer over the service layer)."""
    from fastapi.staticfiles import StaticFiles

    from posbridge.api.router import router as admin_router
    from posbridge.dashboard.routes import STATIC
    from posbridge.dashboard.routes import router as dashboard_router
    from posbridge.spi.router import router as spi_router
    from posbridge.spi.validations import router as validations_router
    from posbridge.spi.webhooks import router as webhook_router

    app.include_router(spi_router, prefix="/wix/pos-spi")
    app.include_router(webhook_router, prefix="/wix/webhooks")
    app.include_router(validations_router, prefix="/wix/validations")
    app.include_router(admin_router, prefix="/api/v1")
    app.include_router(dashboard_router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
