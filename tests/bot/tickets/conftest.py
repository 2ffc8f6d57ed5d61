"""Fixtures of the ticket tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bot.db import make_engine, make_sessionmaker


@pytest.fixture
def db(gateway: TestClient) -> Iterator[Session]:
    """A session on the in-process gateway's database, to check what it stored."""
    engine = make_engine(gateway.app.state.context.settings.database_url)  # type: ignore[attr-defined]
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()
