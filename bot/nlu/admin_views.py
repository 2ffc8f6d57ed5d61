"""The admins' NLU inbox and training examples, under /console/api/nlu (admins only)."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.console.auth import AdminDep
from bot.db import unit_of_work
from bot.nlu import inbox, training
from bot.nlu.models import NluExample, NluModel
from bot.staff.auth import StaffUser, audit

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
    request: Request,
    staff: AdminDep,
    max_confidence: float = Query(0.5, ge=0, le=1),
    days: int = Query(30, ge=1, le=365),
) -> dict[str, Any]:
    """Groups of messages the model was unsure about, with counts and its guess."""

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            return inbox.inbox(session, max_confidence=max_confidence, days=days)

    return {"groups": await run_in_threadpool(work)}


@router.post("/labels", status_code=status.HTTP_201_CREATED)
async def add_labels(request: Request, staff: AdminDep, body: LabelsIn) -> dict[str, Any]:
    """Labels texts (typically a whole inbox group) with intents."""

    def work() -> list[dict[str, Any]]:
        with unit_of_work(request.app.state.sessions) as session:
            try:
                stored = inbox.label(
                    session,
                    [(i.text, i.intent) for i in body.items],
                    staff_id=staff.id,
                    source=body.source,
                )
            except inbox.LabelError as error:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(error)) from error
            audit(session, staff, "nlu_label", None, count=len(stored))
            return [_out(e) for e in stored]

    return {"items": await run_in_threadpool(work)}


@router.get("/examples")
async def list_examples(
    request: Request, staff: AdminDep, intent: str | None = None
) -> dict[str, Any]:
    """Examples admins added (the shipped ones live in data/nlu)."""

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            return [_out(e) for e in inbox.examples(session, intent)]

    return {"items": await run_in_threadpool(work)}


@router.put("/examples/{example_id}")
async def change_example(
    request: Request, staff: AdminDep, example_id: int, body: ExampleIn
) -> dict[str, Any]:
    """Corrects an example's text or intent."""

    def work() -> dict[str, Any]:
        with unit_of_work(request.app.state.sessions) as session:
            example = session.get(NluExample, example_id)
            if example is None or not example.active:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "example not found")
            if body.intent is not None:
                if body.intent not in inbox.label_intents():
                    raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "unknown intent")
                example.intent = body.intent
            if body.text is not None:
                example.text = " ".join(body.text.split())
            try:
                session.flush()
            except IntegrityError:
                raise HTTPException(
                    status.HTTP_409_CONFLICT, "that text is already an example"
                ) from None
            audit(session, staff, "nlu_example_change", str(example.id))
            return _out(example)

    return await run_in_threadpool(work)


@router.delete("/examples/{example_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_example(request: Request, staff: AdminDep, example_id: int) -> Response:
    """Removes an example from the next training (kept, inactive, for the record)."""

    def work() -> None:
        with unit_of_work(request.app.state.sessions) as session:
            example = session.get(NluExample, example_id)
            if example is None or not example.active:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "example not found")
            example.active = False
            audit(session, staff, "nlu_example_remove", str(example.id))

    await run_in_threadpool(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/examples.yml")
async def export_examples(request: Request, staff: AdminDep) -> Response:
    """The admins' examples as Rasa YAML (what training merges with data/nlu)."""

    def work() -> str:
        with unit_of_work(request.app.state.sessions) as session:
            audit(session, staff, "nlu_export", None)
            return inbox.to_rasa_yaml(inbox.examples(session))

    text = await run_in_threadpool(work)
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
async def train(request: Request, staff: AdminDep) -> dict[str, Any]:
    """Queues a retraining with the admins' examples (one at a time: 409 when busy)."""
    settings = request.app.state.settings
    try:
        model_id = await run_in_threadpool(
            training.enqueue_training, request.app.state.sessions, settings, staff
        )
    except training.TrainingBusy as busy:
        raise HTTPException(
            status.HTTP_409_CONFLICT, {"message": str(busy), "model_id": busy.model_id}
        ) from None
    return {"id": model_id, "status": "queued"}


def _models(request: Request, model_id: int | None = None) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        active = session.scalar(select(NluModel).where(NluModel.active.is_(True)))
        query = select(NluModel).order_by(NluModel.id.desc())
        if model_id is not None:
            query = query.where(NluModel.id == model_id)
        return [
            training.model_out(m, active.metrics if active else None)
            for m in session.scalars(query.limit(100))
        ]


@router.get("/models")
async def models(request: Request, staff: AdminDep) -> dict[str, Any]:
    """The registry, newest first, each with its changes against the active model."""
    return {"items": await run_in_threadpool(_models, request)}


@router.get("/models/{model_id}")
async def model(request: Request, staff: AdminDep, model_id: int) -> dict[str, Any]:
    """One model: progress (stage, elapsed, log tail) while training, then metrics."""
    found = await run_in_threadpool(_models, request, model_id)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "model not found")
    return found[0]


def _refused(refused: training.ActivationRefused) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        {
            "message": str(refused),
            "regressions": [
                {"name": c.name, "active": c.active, "candidate": c.candidate}
                for c in refused.regressions
            ],
        },
    )


async def _activate(
    request: Request, staff: StaffUser, model_id: int, **options: Any
) -> dict[str, Any]:
    """Loads the model into Rasa (training.activate's options); 409 when refused."""
    try:
        took = await run_in_threadpool(
            partial(
                training.activate,
                request.app.state.sessions,
                request.app.state.settings,
                model_id,
                staff,
                **options,
            )
        )
    except training.ActivationRefused as refused:
        raise _refused(refused) from None
    return {"id": model_id, "active": True, "load_s": round(took, 3)}


@router.post("/models/{model_id}/activate")
async def activate(
    request: Request, staff: AdminDep, model_id: int, body: ActivateIn
) -> dict[str, Any]:
    """Loads the model into Rasa without downtime; refused (409) when it is worse."""
    return await _activate(request, staff, model_id, force=body.force, reason=body.reason)


@router.post("/rollback")
async def rollback(request: Request, staff: AdminDep, body: RollbackIn) -> dict[str, Any]:
    """Goes back to an earlier model (the one active before, by default)."""
    model_id = body.model_id
    if model_id is None:

        def previous() -> int | None:
            with request.app.state.sessions() as session:
                found = training.previous_model(session)
                return found.id if found else None

        model_id = await run_in_threadpool(previous)
        if model_id is None:
            raise HTTPException(status.HTTP_409_CONFLICT, {"message": "no earlier model"})
    return await _activate(request, staff, model_id, rollback=True, force=True, reason="rollback")
