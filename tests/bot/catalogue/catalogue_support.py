"""Helpers for the catalogue tests: the fixture data, YAML edits, servers in threads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.catalogue.service import Catalogue, CatalogueData, read_data

FIXTURES = Path(__file__).resolve().parent / "data"


def edit_yaml(path: Path, change: Callable[[Any], object]) -> None:
    """Load a YAML file, let `change(doc)` edit it in place, write it back."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def unvalidated_catalogue(data_dir: Path, service_id: str, **fields: Any) -> Catalogue:
    """The catalogue of `data_dir` with one service's fields replaced without validation:
    what the escaping must still withstand should markup ever slip past the schemas."""
    data = read_data(data_dir=data_dir)
    services = [s.model_copy(update=fields) if s.id == service_id else s for s in data.services]
    changed = CatalogueData(categories=data.categories, services=services, agencies=data.agencies)
    return Catalogue(data_dir=data_dir, source=lambda: (0, changed))
