"""Retraining, evaluation and safe activation of the Thai NLU model (the model registry).

- `enqueue_training` records a model row (queued) and puts a job on an RQ queue in Redis;
  one RQ worker process (`desk nlu worker`, started by `make run`) trains one model at a
  time (a Redis lock guards it if more run).
- `train_job` (in that worker) merges the admins' examples (bot/teaching/inbox.py) with the
  shipped data in data/, runs `rasa train` in the Rasa environment, reporting stage,
  elapsed time and the log's tail on the row, then evaluates the model with
  nlu/evaluate.py on the fixed held-out set (and Traffy when present).
- `activate` refuses a model whose macro-F1, accuracy or any intent's F1 is lower than the
  active model's by more than NLU_ACTIVATION_MARGIN, unless forced with a reason
  (audited); it loads the model into the running Rasa (`PUT /model`, no downtime) and
  records it so a restart runs it too (var/nlu/active-model).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from redis import Redis
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import redis_client
from bot.config import ROOT, Settings, get_settings
from bot.db import aware, make_engine, make_sessionmaker, unit_of_work, utcnow
from bot.devstack import RASA_VENV, active_model_file, active_model_path, nlu_env
from bot.errors import Conflict
from bot.staff.auth import StaffUser, audit
from bot.teaching import inbox
from bot.teaching.models import NluModel

logger = logging.getLogger(__name__)
TRAINING_DATA = [ROOT / "data" / "nlu", ROOT / "data" / "rules"]
FINGERPRINTED = [ROOT / "config.yml", ROOT / "domain.yml", *TRAINING_DATA, ROOT / "nlu"]
LOG_LINES = 30
# Stages shown while training, from what `rasa train` logs.
STAGES = (
    ("Your Rasa model is trained", "saving the model"),
    ("Starting to train component", "training NLU components"),
    ("Training", "training"),
    ("Restoring", "loading cached components"),
)


def queue_name(settings: Settings) -> str:
    """The RQ queue of this desk's trainings (prefixed like every other Redis key)."""
    return f"{settings.redis_prefix}nlu-training"


def fingerprint(paths: Iterable[Path], extra: str = "") -> str:
    """SHA-256 of every training input (files under the given paths, and `extra`)."""
    digest = hashlib.sha256()
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    digest.update(extra.encode())
    return digest.hexdigest()


# Enqueueing (gateway, CLI) ----------------------------------------------------------------


def _redis(settings: Settings) -> Redis:
    return redis_client.connect(settings, asyncio=False)


def enqueue_training(
    sessions: sessionmaker[Session], settings: Settings, staff: StaffUser | None
) -> int:
    """A new model row (queued) and its job on the queue; the model's id."""
    with unit_of_work(sessions) as session:
        _register_shipped(session, settings)
        running = session.scalar(
            select(NluModel.id).where(NluModel.status.in_(("queued", "training", "evaluating")))
        )
        if running is not None:
            raise TrainingBusy(running)
        model = NluModel(status="queued", trained_by=staff.id if staff else None)
        session.add(model)
        session.flush()
        audit(session, staff, "nlu_train", str(model.id))
        model_id = model.id
    Queue(queue_name(settings), connection=_redis(settings)).enqueue(
        "bot.teaching.training.train_job", model_id, job_timeout=1800, result_ttl=3600
    )
    return model_id


class TrainingBusy(Conflict):
    """A training is already queued or running (one at a time)."""

    def __init__(self, model_id: int) -> None:
        message = f"model {model_id} is already being trained"
        super().__init__(message, detail={"message": message, "model_id": model_id})
        self.model_id = model_id


def _register_shipped(session: Session, settings: Settings) -> None:
    """The shipped model (models/desk.tar.gz) as the registry's first, active model."""
    if session.scalar(select(NluModel.id).limit(1)) is not None:
        return
    session.add(
        NluModel(
            status="ready",
            stage="shipped",
            path=str(active_model_path(settings)),
            fingerprint=fingerprint(FINGERPRINTED),
            active=True,
            activated_at=utcnow(),
            activation_note="the model shipped with the desk (make model)",
        )
    )
    session.flush()


# The job (RQ worker) ----------------------------------------------------------------------


def _rasa_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **nlu_env(), "PYTHONUNBUFFERED": "1"}


def _update(sessions: sessionmaker[Session], model_id: int, **values: Any) -> None:
    with unit_of_work(sessions) as session:
        model = session.get_one(NluModel, model_id)
        for name, value in values.items():
            setattr(model, name, value)


# Terminal control sequences (colours, cursor moves) Rasa and TensorFlow print even to a
# pipe: the console shows the log as plain text.
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\r")


def plain(line: str) -> str:
    """A log line without terminal control sequences."""
    return ANSI.sub("", line)


def _run(argv: list[str], settings: Settings, on_line: Any, log: deque[str]) -> int:
    """Runs a child in the Rasa environment, feeding its output lines to `on_line`."""
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=_rasa_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert process.stdout is not None
    for raw in process.stdout:
        line = plain(raw).rstrip()
        if line:
            log.append(line[:300])
            on_line(line)
    return process.wait()


def train_job(model_id: int) -> str:
    """Trains and evaluates one model (runs in the RQ worker); its final status."""
    settings = get_settings()
    sessions = make_sessionmaker(
        make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
    )
    lock = _redis(settings).lock(f"{settings.redis_prefix}nlu-training-lock", timeout=1800)
    with lock:
        try:
            return _train(sessions, settings, model_id)
        except Exception as error:  # noqa: BLE001 - recorded on the row for the admin
            _update(
                sessions,
                model_id,
                status="failed",
                error=f"{type(error).__name__}: {error}"[:2000],
                finished_at=utcnow(),
            )
            return "failed"


def _train(sessions: sessionmaker[Session], settings: Settings, model_id: int) -> str:
    started = time.monotonic()
    work = settings.nlu_work_dir / f"model-{model_id}"
    work.mkdir(parents=True, exist_ok=True)
    with sessions() as session:
        rows = inbox.examples(session)
        examples_yaml = inbox.to_rasa_yaml(rows)
        count = len(rows)
    examples_file = work / "desk-examples.yml"
    examples_file.write_text(examples_yaml, encoding="utf-8")
    _update(
        sessions,
        model_id,
        status="training",
        stage="preparing data",
        started_at=utcnow(),
        examples=count,
        fingerprint=fingerprint(FINGERPRINTED, examples_yaml),
    )
    registry = settings.nlu_models_dir
    registry.mkdir(parents=True, exist_ok=True)
    log: deque[str] = deque(maxlen=LOG_LINES)
    last_write = [0.0]

    def progress(line: str) -> None:
        stage = next((name for marker, name in STAGES if marker in line), None)
        now = time.monotonic()
        if stage or now - last_write[0] > 1.0:
            last_write[0] = now
            values: dict[str, Any] = {"log_tail": "\n".join(log)}
            if stage:
                values["stage"] = stage
            _update(sessions, model_id, **values)

    argv = [
        str(RASA_VENV / "bin" / "rasa"),
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        *[str(p) for p in TRAINING_DATA],
        str(examples_file),
        "--out",
        str(registry),
        "--fixed-model-name",
        f"model-{model_id}",
    ]
    if _run(argv, settings, progress, log) != 0:
        _update(
            sessions,
            model_id,
            status="failed",
            stage="training failed",
            log_tail="\n".join(log),
            error="rasa train failed (see the log)",
            finished_at=utcnow(),
        )
        return "failed"
    path = registry / f"model-{model_id}.tar.gz"
    _update(sessions, model_id, status="evaluating", stage="evaluating", path=str(path))
    metrics = evaluate(path, work / "report", settings, log)
    _ensure_active_metrics(sessions, settings, log)
    _update(
        sessions,
        model_id,
        status="ready",
        stage=f"ready in {time.monotonic() - started:.0f} s",
        metrics=metrics,
        log_tail="\n".join(log),
        finished_at=utcnow(),
    )
    return "ready"


def evaluate(model: Path, out: Path, settings: Settings, log: deque[str]) -> dict[str, Any]:
    """nlu/evaluate.py's report of a model (held-out, and Traffy when present), trimmed."""
    argv = [str(RASA_VENV / "bin" / "python"), "-m", "nlu.evaluate", "--model", str(model)]
    argv += ["--out", str(out)]
    if _run(argv, settings, lambda _line: None, log) != 0:
        raise RuntimeError("evaluation failed")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    held = report["holdout"]
    metrics: dict[str, Any] = {
        "accuracy": held["accuracy"],
        "macro_f1": held["macro_f1"],
        "n": held.get("n"),
        "per_intent": held["per_intent"],
        "confusion": report.get("confusion"),
    }
    if report.get("traffy"):
        metrics["traffy_any_gold"] = report["traffy"].get("any_gold_accuracy")
    return metrics


def _ensure_active_metrics(
    sessions: sessionmaker[Session], settings: Settings, log: deque[str]
) -> None:
    """The active model needs metrics to be compared with (the shipped one has none)."""
    with sessions() as session:
        active = session.scalar(select(NluModel).where(NluModel.active.is_(True)))
        if active is None or active.metrics or not active.path:
            return
        active_id, path = active.id, Path(active.path)
    report = settings.nlu_work_dir / f"model-{active_id}" / "report"
    metrics = evaluate(path, report, settings, log)
    _update(sessions, active_id, metrics=metrics)


# Comparing and activating -------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One measure of the candidate against the active model."""

    name: str
    active: float
    candidate: float

    @property
    def delta(self) -> float:
        """Candidate minus active."""
        return self.candidate - self.active


def compare(active: dict[str, Any] | None, candidate: dict[str, Any]) -> list[Change]:
    """Accuracy, macro-F1 and every intent's F1, candidate against active."""
    if not active:
        return []
    changes = [
        Change(name, float(active.get(name) or 0), float(candidate.get(name) or 0))
        for name in ("accuracy", "macro_f1")
    ]
    old = active.get("per_intent") or {}
    new = candidate.get("per_intent") or {}
    for intent in sorted(set(old) | set(new)):
        changes.append(
            Change(
                f"f1:{intent}",
                float((old.get(intent) or {}).get("f1", 0)),
                float((new.get(intent) or {}).get("f1", 0)),
            )
        )
    return changes


def confusion_changes(
    active: dict[str, Any] | None, candidate: dict[str, Any]
) -> list[dict[str, Any]]:
    """Cells of the held-out confusion matrix that differ between the two models: how
    many examples of `gold` each read as `predicted` (the diagonal is what was right),
    largest change first."""

    def cells(metrics: dict[str, Any] | None) -> dict[tuple[str, str], int]:
        table = (metrics or {}).get("confusion") or {}
        labels = table.get("labels") or []
        return {
            (gold, predicted): int(count)
            for gold, row in zip(labels, table.get("matrix") or [], strict=False)
            for predicted, count in zip(labels, row, strict=False)
            if count
        }

    if not active or not active.get("confusion") or not candidate.get("confusion"):
        return []
    old, new = cells(active), cells(candidate)
    changed = [
        {
            "gold": gold,
            "predicted": predicted,
            "active": old.get((gold, predicted), 0),
            "candidate": new.get((gold, predicted), 0),
        }
        for gold, predicted in sorted(set(old) | set(new))
        if old.get((gold, predicted), 0) != new.get((gold, predicted), 0)
    ]
    return sorted(changed, key=lambda c: -abs(c["candidate"] - c["active"]))


def regressions(changes: list[Change], margin: float) -> list[Change]:
    """The measures that fell by more than the margin."""
    return [c for c in changes if c.delta < -margin]


class ActivationRefused(Conflict, ValueError):
    """The model would make the bot worse (or is not ready); `regressions` say where."""

    def __init__(self, message: str, regressions: list[Change] | None = None) -> None:
        self.regressions = regressions or []
        super().__init__(
            message,
            detail={
                "message": message,
                "regressions": [
                    {"name": c.name, "active": c.active, "candidate": c.candidate}
                    for c in self.regressions
                ],
            },
        )


def activate(
    sessions: sessionmaker[Session],
    settings: Settings,
    model_id: int,
    staff: StaffUser | None,
    *,
    force: bool = False,
    reason: str | None = None,
    rollback: bool = False,
) -> float:
    """Makes the model the one Rasa runs; seconds the load took. Raises ActivationRefused."""
    with sessions() as session:
        model = session.get(NluModel, model_id)
        if model is None or model.status != "ready" or not model.path:
            raise ActivationRefused("model is not ready")
        if not Path(model.path).is_file():
            raise ActivationRefused("model file is missing")
        active = session.scalar(select(NluModel).where(NluModel.active.is_(True)))
        if active is not None and active.id == model.id:
            raise ActivationRefused("model is already active")
        was_active_before = model.activated_at is not None
        worse = regressions(
            compare(active.metrics if active else None, model.metrics or {}),
            settings.nlu_activation_margin,
        )
        path = model.path
        before = active.path if active is not None else None
    if worse and not (rollback and was_active_before):
        if not force:
            raise ActivationRefused("the model is worse than the active one", worse)
        if not (reason or "").strip():
            raise ActivationRefused("forcing needs a reason", worse)
    started = time.perf_counter()
    _load_everywhere(settings, path, before)
    took = time.perf_counter() - started
    settings.nlu_work_dir.mkdir(parents=True, exist_ok=True)
    active_model_file(settings).write_text(path)
    with unit_of_work(sessions) as session:
        for row in session.scalars(select(NluModel).where(NluModel.active.is_(True))):
            row.active = False
        model = session.get_one(NluModel, model_id)
        model.active = True
        model.activated_at = utcnow()
        model.activated_by = staff.id if staff else None
        model.activation_note = (reason or "").strip() or ("rollback" if rollback else None)
        audit(
            session,
            staff,
            "nlu_rollback" if rollback else "nlu_activate",
            str(model_id),
            forced=bool(worse),
            reason=(reason or "").strip() or None,
            regressions=[c.name for c in worse],
            load_s=round(took, 3),
        )
    return took


def _load_everywhere(settings: Settings, path: str, before: str | None) -> None:
    """Loads the model into every Rasa server (they answer any citizen's turn), or into none:
    when one refuses, the servers already loaded go back to the model they ran before."""
    loaded: list[str] = []
    for server in settings.rasa_servers():
        failure = _load(settings, server, path)
        if failure is None:
            loaded.append(server)
            continue
        if before is not None:
            for done in loaded:
                if _load(settings, done, before) is not None:
                    logger.error("nlu.activate: %s could not go back to the model it ran", done)
        raise ActivationRefused(f"Rasa could not load the model ({failure} at {server})")


def _load(settings: Settings, server: str, path: str) -> str | None:
    """PUT /model on one Rasa server; None when loaded, else what went wrong."""
    try:
        response = httpx.put(
            f"{server}/model",
            params={"token": settings.rasa_token},
            json={"model_file": path},
            timeout=300,
        )
    except httpx.HTTPError as error:
        return type(error).__name__
    return None if response.status_code < 300 else f"HTTP {response.status_code}"


def previous_model(session: Session) -> NluModel | None:
    """The model active before the current one (for a rollback without an id)."""
    return session.scalar(
        select(NluModel)
        .where(NluModel.active.is_(False), NluModel.activated_at.is_not(None))
        .order_by(NluModel.activated_at.desc())
        .limit(1)
    )


def model_out(model: NluModel, active_metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """A registry entry as the API and CLI show it (with its changes against the active)."""
    metrics = model.metrics or {}
    changes = compare(active_metrics, metrics) if metrics and not model.active else []
    elapsed = None
    if model.started_at:
        end = model.finished_at or utcnow()
        elapsed = round((_aware(end) - _aware(model.started_at)).total_seconds(), 1)
    return {
        "id": model.id,
        "status": model.status,
        "stage": model.stage,
        "active": model.active,
        "examples": model.examples,
        "fingerprint": model.fingerprint,
        "trained_by": model.trained_by,
        "created_at": _aware(model.created_at).isoformat(),
        "elapsed_s": elapsed,
        "activated_at": _aware(model.activated_at).isoformat() if model.activated_at else None,
        "activation_note": model.activation_note,
        "accuracy": metrics.get("accuracy"),
        "macro_f1": metrics.get("macro_f1"),
        "traffy_any_gold": metrics.get("traffy_any_gold"),
        "per_intent": metrics.get("per_intent"),
        "changes": [
            {"name": c.name, "active": c.active, "candidate": c.candidate, "delta": c.delta}
            for c in changes
            if abs(c.delta) > 1e-9
        ],
        "confusion": metrics.get("confusion"),
        "confusion_changes": []
        if model.active or not metrics
        else confusion_changes(active_metrics, metrics),
        "log_tail": plain(model.log_tail) if model.log_tail else None,
        "error": model.error,
    }


def _aware(moment: Any) -> Any:

    return aware(moment)
