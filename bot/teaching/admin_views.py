"""The admins' NLU inbox and training examples, under /console/api/nlu (admins only)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from bot.console.auth import AdminDep
from bot.deps import ContextDep
from bot.errors import NotFound
from bot.staff.auth import StaffUser
from bot.teaching import flows, inbox, training
from bot.teaching.models import NluExample

if TYPE_CHECKING:
    from bot.context import Context

router = APIRouter(prefix="/console/api/nlu", include_in_schema=False)


class LabelIn(BaseModel):
    """One text and the intent it means."""

    text: str = Field(min_length=1, max_length=1000)
    intent: str = Field(min_length=1, max_length=60)


class LabelsIn(BaseModel):
    """Labels given in bulk (a group of similar messages at once)."""

    items: list[LabelIn] = Field(min_length=1, max_length=500)
    # Where the texts came from: the inbox's messages, tickets an agent re-typed, or typed
    # by the admin.
    source: Literal["inbox", "ticket", "console"] = "inbox"


class ExampleIn(BaseModel):
    """A changed example."""

    text: str | None = Field(default=None, min_length=1, max_length=1000)
    intent: str | None = Field(default=None, min_length=1, max_length=60)


def _out(example: NluExample) -> dict[str, Any]:
    return {
        "id": example.id,
        "text": example.text,
        "intent": example.intent,
        "source": example.source,
        "updated_at": example.updated_at.isoformat(),
    }


@router.get("/intents")
async def intents(staff: AdminDep) -> dict[str, Any]:
    """Intents an example may have."""
    return {"items": list(inbox.label_intents())}


@router.get("/inbox")
async def get_inbox(
    context: ContextDep,
    staff: AdminDep,
    max_confidence: float = Query(0.5, ge=0, le=1),
    days: int = Query(30, ge=1, le=365),
) -> dict[str, Any]:
    """Groups of messages the model was unsure about, with counts and its guess."""
    groups = await context.read(lambda s: inbox.inbox(s, max_confidence=max_confidence, days=days))
    return {"groups": groups}


@router.post("/labels", status_code=status.HTTP_201_CREATED)
async def add_labels(context: ContextDep, staff: AdminDep, body: LabelsIn) -> dict[str, Any]:
    """Labels texts (typically a whole inbox group) with intents."""
    items = [(i.text, i.intent) for i in body.items]
    stored = await context.transaction(
        lambda s: [_out(e) for e in flows.label(s, staff, items, body.source)]
    )
    return {"items": stored}


@router.get("/examples")
async def list_examples(
    context: ContextDep, staff: AdminDep, intent: str | None = None
) -> dict[str, Any]:
    """Examples admins added (the shipped ones live in data/nlu)."""
    return {"items": await context.read(lambda s: [_out(e) for e in inbox.examples(s, intent)])}


@router.put("/examples/{example_id}")
async def change_example(
    context: ContextDep, staff: AdminDep, example_id: int, body: ExampleIn
) -> dict[str, Any]:
    """Corrects an example's text or intent."""
    return await context.transaction(
        lambda s: _out(
            flows.change_example(s, staff, example_id, intent=body.intent, text=body.text)
        )
    )


@router.delete("/examples/{example_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_example(context: ContextDep, staff: AdminDep, example_id: int) -> Response:
    """Removes an example from the next training (kept, inactive, for the record)."""
    await context.transaction(lambda s: flows.remove_example(s, staff, example_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/examples.yml")
async def export_examples(context: ContextDep, staff: AdminDep) -> Response:
    """The admins' examples as Rasa YAML (what training merges with data/nlu)."""
    text = await context.transaction(lambda s: flows.export(s, staff))
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="desk-examples.yml"'},
    )


# Retraining and the model registry ----------------------------------------------------------


class ActivateIn(BaseModel):
    """Activation; forcing a worse model needs a reason."""

    force: bool = False
    reason: str | None = Field(default=None, max_length=500)


class RollbackIn(BaseModel):
    """The model to go back to (default: the one active before)."""

    model_id: int | None = None


@router.post("/train", status_code=status.HTTP_202_ACCEPTED)
async def train(context: ContextDep, staff: AdminDep) -> dict[str, Any]:
    """Queues a retraining with the admins' examples (one at a time: 409 when busy)."""
    model_id = await run_in_threadpool(
        training.enqueue_training, context.sessions, context.settings, staff
    )
    return {"id": model_id, "status": "queued"}


@router.get("/models")
async def models(context: ContextDep, staff: AdminDep) -> dict[str, Any]:
    """The registry, newest first, each with its changes against the active model."""
    return {"items": await context.read(flows.models)}


@router.get("/models/{model_id}")
async def model(context: ContextDep, staff: AdminDep, model_id: int) -> dict[str, Any]:
    """One model: progress (stage, elapsed, log tail) while training, then metrics."""
    found = await context.read(lambda s: flows.models(s, model_id))
    if not found:
        raise NotFound("model not found")
    return found[0]


async def _activate(
    context: Context, staff: StaffUser, model_id: int, **options: Any
) -> dict[str, Any]:
    """Loads the model into Rasa (training.activate's options); 409 when refused."""
    took = await run_in_threadpool(
        partial(training.activate, context.sessions, context.settings, model_id, staff, **options)
    )
    return {"id": model_id, "active": True, "load_s": round(took, 3)}


@router.post("/models/{model_id}/activate")
async def activate(
    context: ContextDep, staff: AdminDep, model_id: int, body: ActivateIn
) -> dict[str, Any]:
    """Loads the model into Rasa without downtime; refused (409) when it is worse."""
    return await _activate(context, staff, model_id, force=body.force, reason=body.reason)


@router.post("/rollback")
async def rollback(context: ContextDep, staff: AdminDep, body: RollbackIn) -> dict[str, Any]:
    """Goes back to an earlier model (the one active before, by default)."""
    model_id = body.model_id
    if model_id is None:
        model_id = await context.read(flows.previous_model)
    return await _activate(context, staff, model_id, rollback=True, force=True, reason="rollback")
