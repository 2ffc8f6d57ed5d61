"""nlu.evaluate's metrics on hand-made predictions; nlu.predict on a tiny model trained here.

The tiny model uses the desk's own classifier (nlu.pipelines.tfidf), so loading it back
from the archive is tested too.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from nlu.evaluation.metrics import (
    FALLBACK,
    Example,
    Reading,
    Traffy,
    TraffyRow,
    any_gold_accuracy,
    confusion,
    evaluate,
    intent_metrics,
    load_traffy,
    pick_threshold,
    reading,
    sweep,
)
from nlu.evaluation.report import write_report
from nlu.predict import Parser, read_request, run

ROOT = Path(__file__).resolve().parents[2]

# --- metrics on hand-made predictions ------------------------------------------------------


def test_intent_metrics_per_intent_and_macro() -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", FALLBACK, "a"]
    metrics = intent_metrics(gold, predicted)
    a, b, c = (metrics["per_intent"][name] for name in "abc")
    assert (a["precision"], a["recall"], a["support"]) == (2 / 3, 2 / 3, 3)
    assert a["f1"] == pytest.approx(2 / 3)
    assert (b["precision"], b["recall"], b["f1"]) == (0.5, 0.5, 0.5)
    assert (c["precision"], c["recall"], c["f1"]) == (0.0, 0.0, 0.0)
    assert metrics["accuracy"] == 3 / 6
    # Macro over the gold intents only: the fallback is no class of its own.
    assert set(metrics["per_intent"]) == {"a", "b", "c"}
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)


def test_intent_metrics_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        intent_metrics(["a"], [])


def test_any_gold_accuracy_counts_any_label() -> None:
    gold = [("road", "traffic"), ("road",), ("flooding",), ("tree", "road")]
    assert any_gold_accuracy(gold, ["traffic", "road", FALLBACK, "garbage"]) == 0.5
    assert any_gold_accuracy([], []) == 0.0


def test_confusion_rows_are_gold_columns_predicted() -> None:
    matrix = confusion(["a", "a", "b", "x"], ["a", "b", "b", "a"], ["a", "b"])
    assert matrix == [[1, 1], [0, 1]]


def test_reading_ignores_the_fallback_entry() -> None:
    parsed = {
        "intent": {"name": FALLBACK, "confidence": 0.3},
        "intent_ranking": [
            {"name": FALLBACK, "confidence": 0.3},
            {"name": "greet", "confidence": 0.25},
            {"name": "thank", "confidence": 0.2},
        ],
    }
    assert reading(parsed) == Reading("greet", 0.25, 0.2)
    assert reading({"intent": {"name": None, "confidence": 0.0}}) == Reading(None, 0.0, 0.0)


@pytest.mark.parametrize(
    ("threshold", "ambiguity", "expected"),
    [(0.3, 0.0, "greet"), (0.5, 0.0, FALLBACK), (0.3, 0.2, FALLBACK), (0.4, 0.1, "greet")],
)
def test_decide_applies_threshold_and_ambiguity(
    threshold: float, ambiguity: float, expected: str
) -> None:
    assert Reading("greet", 0.4, 0.25).decide(threshold, ambiguity) == expected


def test_sweep_trades_chat_filed_against_complaints_lost() -> None:
    holdout = [
        ("out_of_scope", Reading("complaint_road", 0.4, 0.1)),  # chat the model would file
        ("greet", Reading("greet", 0.9, 0.05)),
        ("complaint_road", Reading("complaint_road", 0.8, 0.1)),
        ("complaint_tree", Reading("complaint_tree", 0.55, 0.2)),
    ]
    traffy = [(("complaint_road",), Reading("complaint_road", 0.6, 0.1))]
    low, mid, high = sweep(holdout, traffy, thresholds=[0.3, 0.5, 0.7])
    assert (low["oos_as_complaint"], low["chat_as_complaint"], low["oos_caught"]) == (1, 0.5, 0)
    assert (low["complaints_lost"], low["traffy_lost"], low["holdout_accuracy"]) == (0, 0, 0.75)
    assert (mid["oos_as_complaint"], mid["oos_caught"], mid["complaints_lost"]) == (0, 1, 0)
    # A fallback is not the out_of_scope intent: the held-out score still counts it wrong.
    assert mid["holdout_accuracy"] == 0.75
    assert (high["complaints_lost"], high["traffy_fallback"], high["traffy_any_gold"]) == (
        0.5,
        1.0,
        0.0,
    )
    # Costs: 0.5 (chat filed), 0.0, 1.5 (half the complaints and the Traffy row lost).
    assert pick_threshold([low, mid, high])["threshold"] == 0.5
    # On a tie the lower threshold wins.
    assert pick_threshold([mid, {**mid, "threshold": 0.6}])["threshold"] == 0.5


def test_sweep_applies_the_ambiguity_threshold() -> None:
    holdout = [("complaint_road", Reading("complaint_road", 0.5, 0.45))]
    clear, ambiguous = sweep(holdout, [], thresholds=[0.3], ambiguities=[0.0, 0.1])
    assert (clear["ambiguity"], clear["complaints_lost"]) == (0.0, 0.0)
    assert (ambiguous["ambiguity"], ambiguous["complaints_lost"]) == (0.1, 1.0)
    assert ambiguous["traffy_lost"] == 0.0  # no Traffy rows: nothing lost there


def test_load_traffy_repairs_a_stray_backslash_and_skips_broken_rows(tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text(
        '{"text": "made-up row", "gold": ["complaint_road"], "single": true}\n'
        '{"text": "mail \\xx@example.invalid", "gold": ["complaint_tree"], "single": false}\n'
        '{"text": "cut off\n'
        '{"text": "no labels", "gold": []}\n'
        "\n",
        encoding="utf-8",
    )
    loaded = load_traffy(path)
    assert loaded.rows == [
        TraffyRow("made-up row", ("complaint_road",), True),
        TraffyRow("mail \\xx@example.invalid", ("complaint_tree",), False),
    ]
    assert (loaded.repaired, loaded.skipped) == (1, 2)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"txt": "x"}', 'no "text" string'),
        ('{"text": 5}', 'no "text" string'),
        ('{"text": "   "}', "empty text"),
    ],
)
def test_read_request_names_what_is_wrong(line: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        read_request(line)


# --- a tiny real model ---------------------------------------------------------------------

NLU_DATA = """
version: "3.1"
nlu:
- intent: complaint_road
  examples: |
    - ถนนเป็นหลุม
    - ถนนพังมาก
    - หลุมบนถนนใหญ่
    - ถนนในซอยพัง
    - ทางเท้าพัง
    - ถนนทรุด
- intent: complaint_streetlight
  examples: |
    - ไฟถนนดับ
    - ไฟทางไม่ติด
    - เสาไฟดับทั้งซอย
    - หลอดไฟถนนเสีย
    - ไฟกิ่งดับมืดมาก
    - ไฟส่องสว่างดับ
- intent: greet
  examples: |
    - สวัสดี
    - สวัสดีครับ
    - หวัดดีค่ะ
    - ดีจ้า
    - สวัสดีตอนเช้า
    - หวัดดี
- intent: out_of_scope
  examples: |
    - หวยออกอะไร
    - เล่าเรื่องตลกหน่อย
    - วันนี้ร้อนจัง
    - กินข้าวยัง
    - เบื่อจัง
    - ร้องเพลงให้ฟัง
"""

CONFIG = """
recipe: default.v1
language: th
assistant_id: nlu-evaluate-test
pipeline:
  - name: nlu.tokenizer.ThaiTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: nlu.pipelines.tfidf.TfidfLogisticRegressionClassifier
    C: 20
    random_state: 42
  - name: nlu.entities.ThaiEntityExtractor
  - name: FallbackClassifier
    threshold: 0.2
    ambiguity_threshold: 0.05
policies: []
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A four-intent model trained once for this module."""
    from rasa.model_training import train_nlu

    base = tmp_path_factory.mktemp("tiny")
    (base / "config.yml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    (base / "nlu.yml").write_text(NLU_DATA, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("RASA_CACHE_DIRECTORY", str(base / "cache"))
    try:
        trained = train_nlu(
            config=str(base / "config.yml"),
            nlu_data=str(base / "nlu.yml"),
            output=str(base / "models"),
            fixed_model_name="tiny",
        )
    finally:
        mp.undo()
    assert trained is not None
    return Path(trained)


@pytest.fixture(scope="module")
def parser(model: Path) -> Parser:
    """The tiny model, loaded."""
    return Parser(model)


def test_parse_gives_the_desk_shape(parser: Parser) -> None:
    text = "ไฟถนนดับ โทร 081-234-5678"
    (result,) = parser.parse_many([text])
    assert set(result) == {"text", "intent", "intent_ranking", "entities", "services"}
    assert result["text"] == text
    assert result["intent"]["name"] == "complaint_streetlight"
    assert 0 < result["intent"]["confidence"] <= 1
    assert {item["name"] for item in result["intent_ranking"]} >= {"greet", "out_of_scope"}
    assert len(result["intent_ranking"]) <= 10
    (phone,) = result["entities"]
    assert phone == {"entity": "phone", "value": "0812345678", "start": 13, "end": 25}
    assert result["services"] == []


def test_parse_many_keeps_order_and_matches_parse(parser: Parser) -> None:
    texts = ["สวัสดีครับ", "ถนนพังเป็นหลุม", "ไฟทางดับ"]
    many = parser.parse_many(texts)
    assert [r["intent"]["name"] for r in many] == [
        "greet",
        "complaint_road",
        "complaint_streetlight",
    ]
    assert many[1] == parser.parse(texts[1])
    assert parser.parse_many([]) == []


def test_fallback_settings_come_from_the_model(parser: Parser) -> None:
    assert parser.fallback_settings() == (0.2, 0.05)


def test_bad_lines_get_error_lines_and_the_run_goes_on(parser: Parser) -> None:
    lines = [
        json.dumps({"text": "สวัสดี"}, ensure_ascii=False),
        "{broken",
        "",
        json.dumps({"text": ""}),
        json.dumps({"text": "ถนนพัง"}, ensure_ascii=False),
    ]
    out = io.StringIO()
    stats = run(parser, [line + "\n" for line in lines], out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a.get("error", a.get("intent", {}).get("name")) for a in answers] == [
        "greet",
        "not JSON: Expecting property name enclosed in double quotes at column 2",
        "empty text",
        "complaint_road",
    ]
    assert [a.get("line") for a in answers] == [None, 2, 4, None]
    assert (stats.lines, stats.errors) == (4, 2)


def test_evaluate_writes_the_report(parser: Parser, tmp_path: Path) -> None:
    holdout = [
        Example("ถนนพังหลายจุด", "complaint_road"),
        Example("ไฟถนนดับหมด", "complaint_streetlight"),
        Example("สวัสดีค่ะ", "greet"),
        Example("หวยงวดนี้", "out_of_scope"),
    ]
    traffy = Traffy([TraffyRow("ถนนหน้าบ้านพัง", ("complaint_road", "complaint_traffic"), True)])
    report = evaluate(parser, holdout, traffy, thresholds=[0.0, 0.5], ambiguities=[0.0, 0.1])
    assert report["fallback"] == {"threshold": 0.2, "ambiguity_threshold": 0.05}
    assert report["holdout"]["n"] == 4
    assert set(report["holdout"]["per_intent"]) == {e.intent for e in holdout}
    assert report["traffy"]["n"] == 1 and report["traffy"]["n_single"] == 1
    assert [(row["ambiguity"], row["threshold"]) for row in report["sweep"]["rows"]] == [
        (0.0, 0.0),
        (0.0, 0.5),
        (0.1, 0.0),
        (0.1, 0.5),
    ]
    assert report["sweep"]["pick"] in report["sweep"]["rows"]
    write_report(report, tmp_path / "report", "tiny.tar.gz")
    saved = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert saved["holdout"]["accuracy"] == report["holdout"]["accuracy"]
    assert "| complaint_road |" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "report" / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_command_streams_one_answer_per_line(model: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHAINLP_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "nlu.predict", "--model", str(model)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
    )
    assert child.stdin is not None and child.stdout is not None
    # The answer to the first line comes back while stdin is still open.
    child.stdin.write(json.dumps({"text": "สวัสดีครับ"}, ensure_ascii=False) + "\n")
    child.stdin.flush()
    first: dict[str, Any] = json.loads(child.stdout.readline())
    assert first["intent"]["name"] == "greet"
    child.stdin.write("oops\n" + json.dumps({"text": "ไฟถนนดับ"}, ensure_ascii=False) + "\n")
    child.stdin.close()
    rest = [json.loads(line) for line in child.stdout]
    assert child.wait(timeout=60) == 0
    assert rest[0] == {"line": 2, "error": "not JSON: Expecting value at column 1"}
    assert rest[1]["intent"]["name"] == "complaint_streetlight"
    assert len(rest) == 2
