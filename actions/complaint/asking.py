"""When the desk asks a citizen which complaint they meant: the thresholds chosen by
cross-validation on the desk's own training data (data/ask_when_unsure.yml, written by
`python -m nlu.evaluation.ask`; docs/nlu.md says how they were chosen)."""

from __future__ import annotations

from functools import cache

import yaml

from actions.complaint.answers import Asking
from bot.config import ROOT

THRESHOLDS = ROOT / "data" / "ask_when_unsure.yml"
# Until the file exists: ask below an even chance, or when the next reading is close.
DEFAULT = Asking(min_confidence=0.5, min_margin=0.15)


@cache
def thresholds() -> Asking:
    """The thresholds of data/ask_when_unsure.yml (read once per process)."""
    if not THRESHOLDS.exists():
        return DEFAULT
    data = yaml.safe_load(THRESHOLDS.read_text(encoding="utf-8")) or {}
    return Asking(
        min_confidence=float(data.get("min_confidence", DEFAULT.min_confidence)),
        min_margin=float(data.get("min_margin", DEFAULT.min_margin)),
        max_choices=int(data.get("max_choices", DEFAULT.max_choices)),
        groups=tuple(tuple(str(t) for t in group) for group in data.get("groups") or ()),
    )
