"""`desk nlu predict` / `desk nlu eval` against the real trained model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import devstack
from bot.config import ROOT
from bot.teaching.cli import DEFAULT_MODEL, app

pytestmark = pytest.mark.processes

needs_model = pytest.mark.skipif(
    not DEFAULT_MODEL.is_file() or not (devstack.RASA_VENV / "bin" / "python").is_file(),
    reason="needs models/desk.tar.gz and .venv-rasa (make model)",
)


@needs_model
def test_predict_answers_every_line_in_order() -> None:
    lines = [
        json.dumps({"text": "ขอติดตามเรื่อง DS-7K2M9QXA ค่ะ"}, ensure_ascii=False),
        "not json",
        json.dumps({"text": "สวัสดีครับ"}, ensure_ascii=False),
    ]
    result = CliRunner().invoke(app, ["predict"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    status, bad, hello = (json.loads(line) for line in result.stdout.splitlines())
    assert status["intent"]["name"] == "check_status"
    assert status["intent_ranking"][0]["name"] == "check_status"
    assert [(e["entity"], e["value"]) for e in status["entities"]] == [("ticket_id", "DS-7K2M9QXA")]
    assert bad == {"line": 2, "error": "not JSON: Expecting value at column 1"}
    assert hello["intent"]["name"] == "greet"


@needs_model
def test_predict_streams_through_real_pipes() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.teaching.cli", "predict"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps({"text": "ไฟถนนดับทั้งซอย"}, ensure_ascii=False) + "\n")
    child.stdin.flush()
    # Answered before stdin closes: the line went through at once.
    answer = json.loads(child.stdout.readline())
    assert answer["intent"]["name"] == "complaint_streetlight"
    child.stdin.close()
    assert child.stdout.read() == ""
    assert child.wait(timeout=60) == 0


@pytest.mark.parametrize("command", ["predict", "eval"])
def test_missing_model_is_exit_2(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [command, "--model", str(tmp_path / "none.tar.gz")])
    assert result.exit_code == 2
    assert "none.tar.gz" in result.output


def test_registry_commands_on_an_empty_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        listed = runner.invoke(app, ["models"])
        assert listed.exit_code == 0 and listed.stdout == ""
        refused = runner.invoke(app, ["activate", "7"])
        assert refused.exit_code == 1 and "not ready" in refused.output
        nothing = runner.invoke(app, ["rollback"])
        assert nothing.exit_code == 1 and "no earlier model" in nothing.output
    finally:
        get_settings.cache_clear()
