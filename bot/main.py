"""The gateway: FastAPI app with the LINE webhook, health, metrics, simulator and consoles."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from redis.exceptions import RedisError

from bot import apidocs, errors, health, logs, metrics
from bot.catalogue import views as catalogue_views
from bot.config import Settings, get_settings
from bot.console import actions as console_actions
from bot.console import api as console_api
from bot.console import catalogue as console_catalogue
from bot.console import pages as console_pages
from bot.console import stream as console_stream
from bot.console import tickets as console_tickets
from bot.context import Context, Gateway
from bot.db import migrate
from bot.deadletters import views as dead_letter_views
from bot.line import views as line_views
from bot.line.intake import EventIntake
from bot.reports import views as report_views
from bot.teaching import admin_views as nlu_admin_views
from bot.teaching import page as nlu_page
from bot.teaching import views as nlu_views
from bot.tickets import views as ticket_views
from bot.web import views as web_views
from bot.worker.rasa import RasaClient


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the gateway app; clients are made in the lifespan and closed there."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.setup(settings.log_level, "gateway")
        await run_in_threadpool(migrate, settings.database_url)
        context = Context(settings)
        await run_in_threadpool(context.warm)
        app.state.context = context
        gateway = Gateway(
            intake=EventIntake(sessions=context.sessions, queue=context.queue),
            rasa=RasaClient(
                base_urls=settings.rasa_servers(),
                token=settings.rasa_token,
                timeout_s=settings.rasa_timeout_s,
            ),
            http=httpx.AsyncClient(),
            queue_collector=metrics.QueueCollector(),
        )
        app.state.gateway = gateway
        # What start-up built lives as long as the process (modules, the catalogue's index,
        # routing): out of the collector's full passes, which otherwise scan it all and
        # pause every request for tens of milliseconds at a time (seen as p99 spikes).
        gc.collect()
        gc.freeze()
        try:
            try:
                await context.queue.ensure_groups()
            except RedisError:
                # The gateway still stores webhooks; /healthz reports Redis as down.
                logging.getLogger(__name__).error("gateway: redis unavailable at start")
            gateway.intake.start()
            yield
        finally:
            await gateway.intake.stop()
            await gateway.http.aclose()
            await gateway.rasa.close()
            await context.aclose()

    app = FastAPI(
        title="Thai citizen service desk",
        version="0.1.0",
        lifespan=lifespan,
        # In production the API's description is for signed-in staff only (/console/api-docs).
        docs_url=None,  # /api/docs is bot.apidocs's: Swagger UI without a CDN
        openapi_url=None if settings.desk_env == "production" else "/api/openapi.json",
    )
    errors.install(app)
    app.include_router(line_views.router)
    app.include_router(health.router)
    app.include_router(nlu_views.router)
    app.include_router(catalogue_views.router)
    app.include_router(ticket_views.router)
    app.include_router(console_pages.router)
    app.include_router(console_api.router)
    app.include_router(console_actions.router)
    app.include_router(console_stream.router)
    app.include_router(console_tickets.router)
    app.include_router(console_catalogue.router)
    app.include_router(report_views.router)
    app.include_router(nlu_admin_views.router)
    app.include_router(nlu_page.router)
    app.include_router(dead_letter_views.router)
    app.include_router(apidocs.router)
    if settings.desk_env != "production":

        @app.get("/api/docs", include_in_schema=False)
        async def api_docs() -> HTMLResponse:
            return apidocs.swagger_page("/api/openapi.json")

    # Every page's CSS and JS; the simulator's only where the simulator is (below).
    app.include_router(web_views.static_router(development=settings.desk_env != "production"))
    if settings.desk_env != "production":
        # The simulator signs webhooks with the channel secret: never in production, where
        # the development-only package is not even imported.
        from bot.dev.simulator import views as simulator_views

        app.include_router(simulator_views.router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/simulator" if settings.desk_env != "production" else "/healthz")

    return app
