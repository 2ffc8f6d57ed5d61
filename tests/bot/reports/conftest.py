"""Fixtures: a migrated SQLite file and the session's PostgreSQL, each test rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.db import make_engine, migrate


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A SQLite file migrated like production, for the whole test session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'desk.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """The session's fresh PostgreSQL database, migrated."""
    migrate(pg_url)
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


ENGINES = {"sqlite": "sqlite_engine", "postgresql": "pg_engine"}


@pytest.fixture(params=sorted(ENGINES))
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session on SQLite or PostgreSQL whose writes are rolled back after the test."""
    engine: Engine = request.getfixturevalue(ENGINES[request.param])
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection) as db:
            yield db
        transaction.rollback()
