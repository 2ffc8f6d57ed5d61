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
from pathlib import Path
from typing import Annotated

import typer

from bot import devstack
from bot.config import ROOT

DEFAULT_MODEL = devstack.MODELS / "desk.tar.gz"
DEFAULT_REPORT = ROOT / "reports" / "nlu"

ModelOption = Annotated[Path, typer.Option("--model", "-m", help="Model archive.")]

app = typer.Typer(help="Thai NLU: parse texts with the model, evaluate it.", no_args_is_help=True)


def rasa_python() -> Path:
    """The Rasa environment's Python."""
    return devstack.RASA_VENV / "bin" / "python"


def nlu_env() -> dict[str, str]:
    """What the NLU needs on top of the caller's environment (cf. devstack.rasa_env)."""
    return {
        # Rasa imports our Thai components (nlu/) from the project root.
        "PYTHONPATH": str(ROOT),
        "PYTHAINLP_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def _child_env() -> dict[str, str]:
    # The child keeps PATH, HOME and the like, as every desk process does
    # (devstack.base_env), with the NLU's own settings on top.
    return {**os.environ, **nlu_env()}


def _has_fileno(stream: object) -> bool:
    try:
        stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    return True


def _check(model: Path) -> None:
    if not rasa_python().is_file():
        typer.echo(f"no Rasa environment at {devstack.RASA_VENV} (make env builds it)", err=True)
        raise typer.Exit(2)
    if not model.is_file():
        typer.echo(f"no model at {model} (make model trains it)", err=True)
        raise typer.Exit(2)


@app.command()
def predict(model: ModelOption = DEFAULT_MODEL) -> None:
    """Reads {"text": ...} lines on stdin and writes one parse per line on stdout."""
    _check(model)
    argv = [str(rasa_python()), "-m", "nlu.predict", "--model", str(model)]
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
    argv = [str(rasa_python()), "-m", "nlu.evaluate", "--model", str(model), "--out", str(out)]
    if traffy is not None:
        argv += ["--traffy", str(traffy)]
    if holdout is not None:
        argv += ["--holdout", str(holdout)]
    code = subprocess.run(argv, env=_child_env(), cwd=ROOT, check=False).returncode
    if code == 0:
        typer.echo(f"NLU report: {out / 'report.md'} (also report.json, confusion.png)")
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
