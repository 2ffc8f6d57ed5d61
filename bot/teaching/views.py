"""POST /api/nlu/parse: the current model's reading of a text (through Rasa)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool

from bot.deps import ContextDep, GatewayDep
from bot.staff.auth import StaffInProductionDep
from bot.teaching.schemas import Entity, Intent, ParseRequest, ParseResult, Service
from nlu.normalize import typed

router = APIRouter(prefix="/api/nlu", tags=["nlu"])


def to_result(text: str, parsed: dict[str, Any], services: list[Service]) -> ParseResult:
    """Rasa's /model/parse answer in the desk's shape, with ranked catalogue services."""
    intent = parsed.get("intent") or {"name": "nlu_fallback", "confidence": 0.0}
    return ParseResult(
        text=text,
        intent=Intent(
            name=str(intent.get("name")), confidence=float(intent.get("confidence") or 0)
        ),
        intent_ranking=[
            Intent(name=str(i.get("name")), confidence=float(i.get("confidence") or 0))
            for i in parsed.get("intent_ranking") or []
        ],
        entities=[
            Entity(
                entity=str(e["entity"]), value=str(e.get("value")), start=e["start"], end=e["end"]
            )
            for e in parsed.get("entities") or []
            if "start" in e and "end" in e
        ],
        services=services,
    )


@router.post("/parse", summary="Parse a text with the active NLU model")
async def parse(
    body: ParseRequest, context: ContextDep, gateway: GatewayDep, _: StaffInProductionDep
) -> ParseResult:
    """Intent, ranking, entities (with offsets) and ranked services for a text."""
    settings = context.settings
    parsed: dict[str, Any] | None = None
    # Every Rasa server runs the active model: the first one that answers will do.
    for server in settings.rasa_servers():
        try:
            response = await gateway.http.post(
                f"{server}/model/parse",
                params={"token": settings.rasa_token},
                json={"text": typed(body.text)},
                timeout=10,
            )
        except httpx.HTTPError:
            continue
        if response.status_code == 200:
            parsed = response.json()
            break
    if parsed is None:
        raise HTTPException(status_code=503, detail="NLU unavailable")
    catalogue = context.catalogue
    services = [
        Service(
            id=m.service_id,
            title=m.title,
            score=m.score,
            confidence=m.confidence,
            confident=m.confident,
        )
        for m in await run_in_threadpool(lambda: catalogue.search(query=body.text))
    ]
    return to_result(body.text, parsed, services)
