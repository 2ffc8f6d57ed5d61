"""Activating a model with several Rasa servers: every server loads it, or none keeps it.

Two stub Rasa servers answer PUT /model (what `rasa run --enable-api` exposes); the one
under test refuses (HTTP 500) or cannot be reached. The registry is a real database
(SQLite and PostgreSQL, the `sessions` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import unit_of_work, utcnow
from bot.teaching import training
from bot.teaching.models import NluModel
from tests.support.stack import Served


@dataclass
class RasaStub:
    """A Rasa server's PUT /model: the files it was told to load, and whether it refuses."""

    loaded: list[str] = field(default_factory=list)
    refuse: bool = False

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.put("/model")
        async def load(request: Request) -> Response:
            if self.refuse:
                return Response(status_code=500)
            body: dict[str, Any] = await request.json()
            self.loaded.append(body["model_file"])
            return Response(status_code=204)

        return app


@pytest.fixture
def servers() -> Iterator[tuple[list[RasaStub], list[str]]]:
    stubs = [RasaStub(), RasaStub()]
    with ExitStack() as stack:
        urls = [stack.enter_context(Served(stub.app())).base_url for stub in stubs]
        yield stubs, urls


def registry(sessions: sessionmaker[Session], tmp_path: Path) -> tuple[int, str, int, str]:
    """An active model and a ready candidate, both on disk; their ids and files."""
    old, new = tmp_path / "old.tar.gz", tmp_path / "new.tar.gz"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    with unit_of_work(sessions) as session:
        active = NluModel(status="ready", path=str(old), active=True, activated_at=utcnow())
        candidate = NluModel(status="ready", path=str(new))
        session.add_all([active, candidate])
        session.flush()
        return active.id, str(old), candidate.id, str(new)


def active_id(sessions: sessionmaker[Session]) -> int | None:
    with sessions() as session:
        return session.scalar(select(NluModel.id).where(NluModel.active.is_(True)))


def test_a_model_refused_by_one_server_is_taken_back_from_the_others(
    sessions: sessionmaker[Session],
    servers: tuple[list[RasaStub], list[str]],
    tmp_path: Path,
) -> None:
    (first, second), urls = servers
    settings = Settings(rasa_urls=",".join(urls), nlu_work_dir=tmp_path / "work")
    old_id, old, new_id, new = registry(sessions, tmp_path)
    second.refuse = True

    with pytest.raises(training.ActivationRefused, match="HTTP 500"):
        training.activate(sessions, settings, new_id, None)

    # The first server loaded the new model, then went back: both run the old one again.
    assert first.loaded == [new, old]
    assert active_id(sessions) == old_id
    assert not training.active_model_file(settings).exists()

    second.refuse = False
    training.activate(sessions, settings, new_id, None)
    assert first.loaded[-1] == second.loaded[-1] == new
    assert active_id(sessions) == new_id
    assert training.active_model_file(settings).read_text() == new


def test_an_unreachable_server_refuses_the_activation_with_its_address(
    sessions: sessionmaker[Session],
    servers: tuple[list[RasaStub], list[str]],
    tmp_path: Path,
) -> None:
    (first, _), urls = servers
    gone = "http://127.0.0.1:9"  # discard: nothing listens
    settings = Settings(rasa_urls=f"{urls[0]},{gone}", nlu_work_dir=tmp_path / "work")
    old_id, old, new_id, new = registry(sessions, tmp_path)

    with pytest.raises(training.ActivationRefused, match="127.0.0.1:9"):
        training.activate(sessions, settings, new_id, None)
    assert first.loaded == [new, old]
    assert active_id(sessions) == old_id
