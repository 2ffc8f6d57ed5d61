"""The engine's pool after its connections die (a PostgreSQL restart or fail-over): the
worker's engine pings only connections idle long enough (bot.db.make_engine)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.db import make_engine


def backend(engine: Engine) -> int:
    """The server process of the connection the pool hands out next."""
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")) or 0)


def kill(url: str, pid: int) -> None:
    """Ends one server process, as a restart ends them all."""
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def test_a_connection_that_died_while_idle_is_replaced_before_use(pg_url: str) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0, ping_after_idle_s=0.0)
    try:
        dead = backend(engine)
        kill(pg_url, dead)
        assert backend(engine) != dead  # no error: pinged, replaced
    finally:
        engine.dispose()


def test_a_connection_that_died_just_after_use_fails_one_try_then_is_replaced(
    pg_url: str,
) -> None:
    """The price of pinging only idle connections: the worker's retry pays it."""
    engine = make_engine(pg_url, pool_size=1, max_overflow=0, ping_after_idle_s=60.0)
    try:
        dead = backend(engine)
        kill(pg_url, dead)
        with pytest.raises(OperationalError):
            backend(engine)
        assert backend(engine) != dead
    finally:
        engine.dispose()


def test_every_check_out_is_pinged_by_default(pg_url: str) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        dead = backend(engine)
        kill(pg_url, dead)
        assert backend(engine) != dead
    finally:
        engine.dispose()


@pytest.mark.parametrize("which", ["postgresql", "sqlite"])
def test_a_database_error_never_shows_what_was_written(
    pg_url: str, tmp_path: Path, which: str
) -> None:
    url = pg_url if which == "postgresql" else f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    secret = "เบอร์ 0812345678 นายสมชาย"
    try:
        with engine.begin() as connection, pytest.raises(DBAPIError) as failed:
            connection.execute(text("SELECT CAST(:v AS INTEGER) + nothing"), {"v": secret})
    finally:
        engine.dispose()
    assert secret not in str(failed.value)
    assert "0812345678" not in repr(failed.value)
