"""Fixtures for the Thai NLU tests (run by the Python 3.10 Rasa environment)."""

from __future__ import annotations

import os
from pathlib import Path

# PyThaiNLP must never try to download; Rasa must never phone home. Set before either
# library is imported by a test module.
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import pytest  # noqa: E402

from nlu.entities.places import PlaceMatcher  # noqa: E402
from nlu.geo import Gazetteer, load_gazetteer  # noqa: E402

# Not in PyThaiNLP's word list: newmm splits it unless a dictionary says otherwise.
CUSTOM_WORD = "ซอยสุขใจพัฒนา"


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    """The project's gazetteer from data/geo."""
    return load_gazetteer()


@pytest.fixture(scope="session")
def places(gazetteer: Gazetteer) -> PlaceMatcher:
    """A place matcher over the project's gazetteer."""
    return PlaceMatcher(gazetteer)


@pytest.fixture
def custom_word() -> str:
    """A compound newmm splits on PyThaiNLP's own word list."""
    return CUSTOM_WORD


@pytest.fixture
def custom_words_file(tmp_path: Path) -> Path:
    """A domain word list holding one word PyThaiNLP does not know."""
    path = tmp_path / "words.txt"
    path.write_text(f"# test dictionary\n{CUSTOM_WORD}\n", encoding="utf-8")
    return path
