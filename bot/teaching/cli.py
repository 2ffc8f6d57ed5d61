"""`desk nlu`: the Thai NLU model from the command line.

Both commands run in the Rasa environment (`.venv-rasa`, Python 3.10) as a child process:
`predict` pipes JSON lines through `python -m nlu.predict`, `eval` writes the report of
`python -m nlu.evaluate`.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from bot import devstack
from bot.config import ROOT, Settings, get_settings

DEFAULT_MODEL = devstack.MODELS / "desk.tar.gz"
DEFAULT_REPORT = ROOT / "reports" / "nlu"

ModelOption = Annotated[Path, typer.Option("--model", "-m", help="Model archive.")]

app = typer.Typer(help="Thai NLU: parse texts with the model, evaluate it.", no_args_is_help=True)


def _child_env() -> dict[str, str]:
    # The child keeps PATH, HOME and the like, as every desk process does
    # (devstack.base_env), with the NLU's own settings on top.
    return {**os.environ, **devstack.nlu_env()}


def _has_fileno(stream: object) -> bool:
    try:
        stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    return True


def _check(model: Path) -> None:
    if not devstack.rasa_python().is_file():
        typer.echo(f"no Rasa environment at {devstack.RASA_VENV} (make env builds it)", err=True)
        raise typer.Exit(2)
    if not model.is_file():
        typer.echo(f"no model at {model} (make model trains it)", err=True)
        raise typer.Exit(2)


@app.command()
def predict(model: ModelOption = DEFAULT_MODEL) -> None:
    """Reads {"text": ...} lines on stdin and writes one parse per line on stdout."""
    _check(model)
    argv = [str(devstack.rasa_python()), "-m", "nlu.predict", "--model", str(model)]
    if _has_fileno(sys.stdin) and _has_fileno(sys.stdout):
        # Real streams: the child reads and writes them directly, line by line.
        code = subprocess.run(argv, env=_child_env(), cwd=ROOT, check=False).returncode
        raise typer.Exit(code)
    # In-memory streams (a test runner, a notebook): hand the input over and echo back.
    done = subprocess.run(
        argv,
        input=sys.stdin.read(),
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=_child_env(),
        cwd=ROOT,
        check=False,
    )
    typer.echo(done.stdout, nl=False)
    raise typer.Exit(done.returncode)


@app.command("eval")
def evaluate(
    model: ModelOption = DEFAULT_MODEL,
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder.")] = DEFAULT_REPORT,
    traffy: Annotated[
        Path | None,
        typer.Option(help="Traffy evaluation file (default ../shared/eval/traffy_eval.jsonl)."),
    ] = None,
    holdout: Annotated[
        Path | None, typer.Option(help="Held-out NLU YAML (default tests/data/nlu_holdout.yml).")
    ] = None,
) -> None:
    """Scores the model on the held-out set and Traffy; writes report.md/json + confusion.png."""
    _check(model)
    argv = [
        str(devstack.rasa_python()),
        "-m",
        "nlu.evaluate",
        "--model",
        str(model),
        "--out",
        str(out),
    ]
    if traffy is not None:
        argv += ["--traffy", str(traffy)]
    if holdout is not None:
        argv += ["--holdout", str(holdout)]
    code = subprocess.run(argv, env=_child_env(), cwd=ROOT, check=False).returncode
    if code == 0:
        typer.echo(f"NLU report: {out / 'report.md'} (also report.json, confusion.png)")
    raise typer.Exit(code)


# The model registry: train, list, activate, roll back ----------------------------------


def _sessions() -> Any:
    from bot.db import make_engine, make_sessionmaker, migrate

    settings = get_settings()
    migrate(settings.database_url)
    return make_sessionmaker(make_engine(settings.database_url))


def _settings() -> Settings:
    settings = get_settings()
    if not settings.redis_url:
        settings.redis_url = devstack.private_redis_url(settings.private_redis_port)
    return settings


@app.command()
def train(
    wait: Annotated[bool, typer.Option(help="Follow the training until it ends.")] = True,
) -> None:
    """Retrains with the admins' examples (on the job queue); shows stage and progress."""
    from bot.teaching import training

    settings = _settings()
    sessions = _sessions()
    try:
        model_id = training.enqueue_training(sessions, settings, None)
    except training.TrainingBusy as busy:
        typer.echo(str(busy), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"model {model_id} queued")
    if not wait:
        return
    status = _follow(sessions, model_id)
    raise typer.Exit(0 if status == "ready" else 1)


def _follow(sessions: Any, model_id: int) -> str:
    from bot.teaching.models import NluModel

    started = time.monotonic()
    seen = ""
    with typer.progressbar(length=100, label="training") as bar:
        while True:
            with sessions() as session:
                model = session.get_one(NluModel, model_id)
                status, stage = model.status, model.stage or model.status
            done = {"queued": 2, "training": 40, "evaluating": 85}.get(status, 100)
            bar.update(max(0, done - bar.pos))
            if stage != seen:
                seen = stage
                bar.label = f"{stage} ({time.monotonic() - started:.0f} s)"
            if status in {"ready", "failed"}:
                break
            time.sleep(1)
    with sessions() as session:
        model = session.get_one(NluModel, model_id)
        if model.status == "failed":
            typer.echo(f"failed: {model.error}\n{model.log_tail or ''}", err=True)
        else:
            metrics = model.metrics or {}
            typer.echo(
                f"model {model_id} ready: held-out accuracy {metrics.get('accuracy', 0):.3f}, "
                f"macro-F1 {metrics.get('macro_f1', 0):.3f}"
            )
        return model.status


@app.command()
def models() -> None:
    """The registry: each model's status, metrics, and whether it is active."""
    from sqlalchemy import select

    from bot.teaching.models import NluModel

    with _sessions()() as session:
        for model in session.scalars(select(NluModel).order_by(NluModel.id)):
            metrics = model.metrics or {}
            accuracy = metrics.get("accuracy")
            typer.echo(
                f"{'*' if model.active else ' '} {model.id}\t{model.status}\t"
                f"{model.created_at:%Y-%m-%d %H:%M}\texamples {model.examples}\t"
                + (f"accuracy {accuracy:.3f}\t" if accuracy is not None else "")
                + (model.stage or "")
            )


@app.command()
def activate(
    model_id: int,
    force: Annotated[bool, typer.Option(help="Activate even if it is worse.")] = False,
    reason: Annotated[str, typer.Option(help="Why (needed with --force; audited).")] = "",
) -> None:
    """Loads the model into the running Rasa (refused when it is worse, unless forced)."""
    from bot.teaching import training

    try:
        took = training.activate(
            _sessions(), _settings(), model_id, None, force=force, reason=reason
        )
    except training.ActivationRefused as refused:
        typer.echo(f"refused: {refused}", err=True)
        for change in refused.regressions:
            typer.echo(f"  {change.name}: {change.active:.3f} -> {change.candidate:.3f}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"model {model_id} active (loaded in {took:.1f} s)")


@app.command()
def rollback(
    model_id: Annotated[int | None, typer.Argument(help="Default: the previous one.")] = None,
) -> None:
    """Goes back to an earlier model (the one active before, by default)."""
    from bot.teaching import training

    sessions = _sessions()
    if model_id is None:
        with sessions() as session:
            previous = training.previous_model(session)
        if previous is None:
            typer.echo("no earlier model", err=True)
            raise typer.Exit(1)
        model_id = previous.id
    try:
        took = training.activate(
            sessions, _settings(), model_id, None, rollback=True, force=True, reason="rollback"
        )
    except training.ActivationRefused as refused:
        typer.echo(f"refused: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"rolled back to model {model_id} (loaded in {took:.1f} s)")


@app.command()
def worker() -> None:
    """The training worker (RQ): one training at a time (`make run` starts it)."""
    import os

    from rq import Worker

    from bot import redis_client
    from bot.teaching import training

    # Training is background work: at a lower priority (inherited by `rasa train`), it
    # never slows the answers citizens wait for, nor the desk's start-up.
    os.nice(10)
    settings = _settings()
    connection = redis_client.connect(settings, asyncio=False)
    Worker([training.queue_name(settings)], connection=connection).work()


if __name__ == "__main__":
    app()
