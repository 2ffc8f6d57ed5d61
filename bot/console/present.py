"""How the console shows what the API answers, shared by its read and action endpoints."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.config import ROOT
from bot.db import aware
from bot.handoff.models import Handoff

CANNED_PATH = ROOT / "data" / "canned_responses.yml"
BANGKOK = ZoneInfo("Asia/Bangkok")


def bangkok_time(moment: datetime) -> str:
    """A stored moment as officers read it: Bangkok time, "2026-12-04 06:18"."""
    return aware(moment).astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M")


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
