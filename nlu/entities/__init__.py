"""Thai entity extraction: pure parsers plus the Rasa `ThaiEntityExtractor` component.

The component is imported lazily so the pure parsers work without Rasa installed; the
config path ``nlu.entities.ThaiEntityExtractor`` still resolves (PEP 562).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ThaiEntityExtractor"]


def __getattr__(name: str) -> Any:
    """Load the Rasa component on first access only."""
    if name == "ThaiEntityExtractor":
        from nlu.entities.extractor import ThaiEntityExtractor

        return ThaiEntityExtractor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
