"""Database engine, sessions and migrations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, DateTime, Engine, MetaData, String, create_engine, event, exc, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# An agency id (bot.staff.scope matches "bma" and "bma-…"): byte order on PostgreSQL,
# so the prefix match uses the column's indexes whatever the database's locale (SQLite
# compares bytes already).
AgencyId = String(80).with_variant(String(80, collation="C"), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored moment as aware UTC: SQLite hands them back naive, stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


# What one process holds at most by default (DB_POOL_SIZE + DB_MAX_OVERFLOW).
POOL_SIZE = 10
MAX_OVERFLOW = 20
# Connections PostgreSQL keeps for superusers, and for the operator's psql and backups.
RESERVED_CONNECTIONS = 5


def pool_limits(*, max_connections: int, processes: int) -> tuple[int, int]:
    """DB_POOL_SIZE and DB_MAX_OVERFLOW for each of `processes` processes that share a
    PostgreSQL of `max_connections`, so that all of them at their peak never exceed it:
    processes × (pool + overflow) ≤ max_connections − RESERVED_CONNECTIONS. Half of each
    share stays open; the rest opens under load and closes after."""
    share = (max_connections - RESERVED_CONNECTIONS) // max(processes, 1)
    if share < 2:
        raise ValueError(
            f"{processes} processes cannot share {max_connections} connections: raise "
            "max_connections or put PgBouncer in front"
        )
    kept = (share + 1) // 2
    return kept, share - kept


def make_engine(
    url: str,
    *,
    pool_size: int = POOL_SIZE,
    max_overflow: int = MAX_OVERFLOW,
    ping_after_idle_s: float | None = None,
) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout for the worker's writes;
    PostgreSQL a pool of `pool_size` connections and `max_overflow` more under load.

    A pooled PostgreSQL connection is pinged at every check-out (it may have died with a
    restart or a fail-over), or, with `ping_after_idle_s`, only when it has been idle
    that long: for a process that retries a failed unit of work anyway (the worker),
    where a ping per check-out was a transaction and a round trip more for each.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,  # see below
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    # An error's text never carries the statement's parameters: they are what citizens
    # wrote (PDPA), and errors reach logs.
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=ping_after_idle_s is None,
        pool_size=pool_size,
        max_overflow=max_overflow,
    )
    if ping_after_idle_s is not None:
        _ping_after_idle(engine, ping_after_idle_s)
    return engine


def _ping_after_idle(engine: Engine, idle_s: float) -> None:
    """Pings a connection at check-out when it was last returned `idle_s` ago or more.

    Connections die while idle (a database restarted overnight, a proxy's idle timeout):
    those are replaced before use, as `pool_pre_ping` would. One that dies between two
    uses fails that unit of work, and the engine then discards every older connection
    (SQLAlchemy's disconnect handling), so the caller's retry gets a new one.
    """
    errors = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_s:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except errors as error:
            # The pool replaces the connection and checks out again.
            raise exc.DisconnectionError(str(error)) from error


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    """Alembic configuration without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any fixed number: PostgreSQL advisory lock that serialises concurrent migrations.
MIGRATION_LOCK = 720_240


def migrate(url: str) -> None:
    """Brings the database at `url` to the newest schema (safe from several processes)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
