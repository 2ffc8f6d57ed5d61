"""The gateway: FastAPI app with the LINE webhook, health, metrics, simulator and consoles."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot import apidocs, health, logs, metrics
from bot.catalogue import views as catalogue_views
from bot.catalogue.service import load_catalogue
from bot.config import Settings, get_settings
from bot.console import views as console_views
from bot.db import make_engine, make_sessionmaker, migrate
from bot.deadletters import views as dead_letter_views
from bot.line import views as line_views
from bot.line.intake import EventIntake
from bot.nlu import admin_views as nlu_admin_views
from bot.nlu import page as nlu_page
from bot.nlu import views as nlu_views
from bot.queue import EventQueue
from bot.reports import views as report_views
from bot.simulator import views as simulator_views
from bot.tickets import views as ticket_views
from bot.tickets.routing import Router
from bot.worker.rasa import RasaClient

REDIS_TIMEOUT_S = 2.0


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the gateway app; clients are made in the lifespan and closed there."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.setup(settings.log_level, "gateway")
        await run_in_threadpool(migrate, settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.sessions = make_sessionmaker(engine)
        # A stalled Redis must not hold webhook answers past LINE's timeout or hang
        # /healthz: events are stored first, and the sweeper enqueues what this misses.
        app.state.redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
        )
        app.state.queue = EventQueue(
            app.state.redis, prefix=settings.redis_prefix, partitions=settings.queue_partitions
        )
        app.state.queue_collector = metrics.QueueCollector()
        app.state.rasa = RasaClient(
            base_url=settings.rasa_url, token=settings.rasa_token, timeout_s=settings.rasa_timeout_s
        )
        app.state.http = httpx.AsyncClient()
        app.state.catalogue = await run_in_threadpool(load_catalogue)
        app.state.router = await run_in_threadpool(Router.load)
        app.state.intake = EventIntake(sessions=app.state.sessions, queue=app.state.queue)
        # What start-up built lives as long as the process (modules, the catalogue's index,
        # routing): out of the collector's full passes, which otherwise scan it all and
        # pause every request for tens of milliseconds at a time (seen as p99 spikes).
        gc.collect()
        gc.freeze()
        try:
            try:
                await app.state.queue.ensure_groups()
            except RedisError:
                # The gateway still stores webhooks; /healthz reports Redis as down.
                logging.getLogger(__name__).error("gateway: redis unavailable at start")
            app.state.intake.start()
            yield
        finally:
            await app.state.intake.stop()
            await app.state.http.aclose()
            await app.state.rasa.close()
            await app.state.redis.aclose()
            engine.dispose()

    app = FastAPI(
        title="Thai citizen service desk",
        version="0.1.0",
        lifespan=lifespan,
        # In production the API's description is for signed-in staff only (/console/api-docs).
        docs_url=None if settings.desk_env == "production" else "/api/docs",
        openapi_url=None if settings.desk_env == "production" else "/api/openapi.json",
    )
    app.include_router(line_views.router)
    app.include_router(health.router)
    app.include_router(nlu_views.router)
    app.include_router(catalogue_views.router)
    app.include_router(ticket_views.router)
    app.include_router(console_views.router)
    app.include_router(report_views.router)
    app.include_router(nlu_admin_views.router)
    app.include_router(nlu_page.router)
    app.include_router(dead_letter_views.router)
    app.include_router(apidocs.router)
    if settings.desk_env != "production":
        # The simulator signs webhooks with the channel secret: never in production.
        app.include_router(simulator_views.router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/simulator" if settings.desk_env != "production" else "/healthz")

    return app
