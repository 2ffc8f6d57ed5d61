"""How the console shows what the API answers, shared by its read and action endpoints."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from bot.config import ROOT
from bot.db import aware
from bot.handoff.models import Handoff

CANNED_PATH = ROOT / "data" / "canned_responses.yml"


@cache
def canned_responses() -> list[dict[str, str]]:
    """Ready-made answers agents pick from (data/canned_responses.yml)."""
    data = yaml.safe_load(CANNED_PATH.read_text(encoding="utf-8")) or {}
    return [{"title": str(c["title"]), "text": str(c["text"])} for c in data.get("responses", [])]


def handoff(found: Handoff) -> dict[str, Any]:
    """A hand-off as the console shows it."""
    return {
        "id": found.id,
        "queue": found.queue,
        "status": found.status,
        "reason": found.reason,
        "agent_id": found.agent_id,
        "ticket_id": found.ticket_id,
        "requested_at": aware(found.requested_at).isoformat(),
        "rating": found.rating,
    }
