"""POST /line/webhook: verify, store every event durably, enqueue, answer 200 fast."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.deps import IntakeDep, SettingsDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["line"])

# LINE's webhook bodies are small; refuse anything absurd before hashing it.
MAX_BODY_BYTES = 2 * 1024 * 1024


@router.post("/line/webhook", summary="LINE Messaging API webhook")
async def webhook(
    request: Request,
    settings: SettingsDep,
    intake: IntakeDep,
    x_line_signature: str | None = Header(default=None),
) -> Response:
    """Verifies the signature, stores each new event, enqueues it, answers 200."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="body too large")
    if not x_line_signature:
        raise HTTPException(status_code=400, detail="missing X-Line-Signature")
    text = body.decode("utf-8", errors="replace")
    parser = WebhookParser(settings.line_channel_secret)
    try:
        parser.parse(text, x_line_signature)
        raw_events: list[dict[str, Any]] = json.loads(text)["events"]
    except InvalidSignatureError as error:
        metrics.WEBHOOK_REJECTED.labels(reason="signature").inc()
        raise HTTPException(status_code=400, detail="invalid signature") from error
    except (ValueError, KeyError, TypeError) as error:
        metrics.WEBHOOK_REJECTED.labels(reason="malformed").inc()
        raise HTTPException(status_code=400, detail="malformed webhook body") from error
    if not isinstance(raw_events, list) or not all(isinstance(e, dict) for e in raw_events):
        metrics.WEBHOOK_REJECTED.labels(reason="malformed").inc()
        raise HTTPException(status_code=400, detail="malformed webhook body")

    try:
        await intake.submit(raw_events)
    except SQLAlchemyError as error:
        # Not stored: answer an error so LINE delivers the webhook again.
        raise HTTPException(status_code=503, detail="could not store events") from error
    for raw in raw_events:
        metrics.EVENTS_IN.labels(type=str(raw.get("type", "unknown"))).inc()
    logger.debug("webhook: %d events stored", len(raw_events))
    return Response(status_code=200)
