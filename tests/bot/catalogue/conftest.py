"""Fixtures: a tiny catalogue of our own, copies of it to break, and servers in threads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.catalogue.service import Catalogue, load_catalogue
from tests.bot.catalogue.catalogue_support import FIXTURES


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The fixture catalogue (3 categories, 6 services, 5 agencies), indexed once."""
    return load_catalogue(data_dir=FIXTURES)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture data."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture(scope="session")
def real_catalogue() -> Catalogue:
    """The project's catalogue (data/catalogue, data/agencies.yml), indexed once."""
    return load_catalogue()
