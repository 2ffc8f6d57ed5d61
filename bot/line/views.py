"""POST /line/webhook: verify, store every event durably, enqueue, answer 200 fast."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from linebot.v3.webhook import SignatureValidator
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.deps import IntakeDep, SettingsDep
from bot.line.intake import UnstorableEvents

logger = logging.getLogger(__name__)
router = APIRouter(tags=["line"])

# LINE's webhook bodies are small; refuse anything absurd before hashing it.
MAX_BODY_BYTES = 2 * 1024 * 1024
# LINE's events nest about six levels deep; far deeper is an attack on the parser.
MAX_DEPTH = 64


async def _read_body(request: Request) -> bytes:
    """The body, refused (413) as soon as it passes the limit: never read whole first."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            metrics.WEBHOOK_REJECTED.labels(reason="too_large").inc()
            raise HTTPException(status_code=413, detail="body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _depth(value: Any) -> int:
    """How deep a parsed JSON value nests (iteratively: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


@router.post("/line/webhook", summary="LINE Messaging API webhook")
async def webhook(
    request: Request,
    settings: SettingsDep,
    intake: IntakeDep,
    x_line_signature: str | None = Header(default=None),
) -> Response:
    """Verifies the signature, stores each new event, enqueues it, answers 200."""
    body = await _read_body(request)
    if not x_line_signature:
        raise HTTPException(status_code=400, detail="missing X-Line-Signature")
    text = body.decode("utf-8", errors="replace")
    if not SignatureValidator(settings.line_channel_secret).validate(text, x_line_signature):
        metrics.WEBHOOK_REJECTED.labels(reason="signature").inc()
        raise HTTPException(status_code=400, detail="invalid signature")
    try:
        parsed = json.loads(text)
        raw_events: list[dict[str, Any]] = parsed["events"]
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        metrics.WEBHOOK_REJECTED.labels(reason="malformed").inc()
        raise HTTPException(status_code=400, detail="malformed webhook body") from error
    if (
        not isinstance(raw_events, list)
        or not all(isinstance(e, dict) for e in raw_events)
        or _depth(raw_events) > MAX_DEPTH
    ):
        metrics.WEBHOOK_REJECTED.labels(reason="malformed").inc()
        raise HTTPException(status_code=400, detail="malformed webhook body")

    try:
        await intake.submit(raw_events)
    except UnstorableEvents as error:
        # Stored on their own, these events still could not be: this body is at fault,
        # and it alone is refused (the others of its batch were stored).
        metrics.WEBHOOK_REJECTED.labels(reason="unstorable").inc()
        raise HTTPException(status_code=400, detail="events could not be stored") from error
    except SQLAlchemyError as error:
        # Not stored: answer an error so LINE delivers the webhook again.
        raise HTTPException(status_code=503, detail="could not store events") from error
    for raw in raw_events:
        metrics.EVENTS_IN.labels(type=str(raw.get("type", "unknown"))[:40]).inc()
    logger.debug("webhook: %d events stored", len(raw_events))
    return Response(status_code=200)
