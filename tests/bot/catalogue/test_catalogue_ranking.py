"""Ranking: the project's catalogue answers our own questions; unknown ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalogue.ranking import Analyzer, Document, Index, Scored
from bot.catalogue.service import (
    SERVICE_MARGIN,
    SERVICE_SURE,
    SERVICE_THRESHOLD,
    Catalogue,
    is_confident,
    make_analyzer,
)

TABLE = yaml.safe_load(
    (Path(__file__).resolve().parent / "ranking_questions.yml").read_text(encoding="utf-8")
)
QUESTIONS: dict[str, list[str]] = TABLE["services"]
UNKNOWN: list[str] = TABLE["unknown"]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return make_analyzer()


def test_every_catalogue_service_has_three_test_questions(real_catalogue: Catalogue) -> None:
    ids = {s.id for s in real_catalogue.services}
    missing = sorted(i for i in ids if len(set(QUESTIONS.get(i, []))) < 3)
    assert not missing, f"add three questions for {missing} to ranking_questions.yml"
    assert not set(QUESTIONS) - ids, "questions for services no longer in the catalogue"


@pytest.mark.parametrize("service_id", sorted(QUESTIONS))
def test_a_service_is_in_the_top_three_for_its_questions(
    real_catalogue: Catalogue, service_id: str
) -> None:
    for question in QUESTIONS[service_id]:
        found = [s.key for s in real_catalogue.ranked(query=question, limit=3)]
        assert service_id in found, f"{question!r} -> {found}"


def test_most_questions_are_answered_first_and_confidently(real_catalogue: Catalogue) -> None:
    asked = [(sid, q) for sid, qs in QUESTIONS.items() for q in qs]
    first = [real_catalogue.search(query=q, limit=1) for _, q in asked]
    right = sum(1 for (sid, _), m in zip(asked, first, strict=True) if m and m[0].service_id == sid)
    confident = sum(
        1
        for (sid, _), m in zip(asked, first, strict=True)
        if m and m[0].service_id == sid and m[0].confident
    )
    assert right / len(asked) >= 0.9
    assert confident / len(asked) >= 0.75


@pytest.mark.parametrize("question", UNKNOWN)
def test_unknown_questions_get_no_confident_service(
    real_catalogue: Catalogue, question: str
) -> None:
    found = real_catalogue.search(query=question, limit=3)
    assert not any(m.confident for m in found), [(m.service_id, m.score) for m in found]
    assert all(m.confidence < 0.5 for m in found)


@pytest.mark.parametrize(
    ("question", "service_id"),
    [
        ("บัตร\u200bประชาชนหายยยย", "id_card"),  # zero-width space, repeated letters
        ("ยื่น ภงด ๙๐ ออนไลน์", "income_tax_filing"),  # Thai digits
        ("พาสปอร์ตหมดอายุต้องทำใหม่ที่ไหน", "passport"),  # no spaces at all
        ("ตอ่ภาษีรถยนต์", "vehicle_tax_renewal"),  # tone mark typed before the vowel
        ("ย้ายทะเบียนบ้ายไปกทม", "house_registration"),  # typo in the key word
        ("ทำใบขับขี่มอไซค์ครั้งแรก", "driving_license"),  # everyday word for motorcycle
    ],
)
def test_typing_quirks_still_find_the_service(
    real_catalogue: Catalogue, question: str, service_id: str
) -> None:
    [best, *_] = real_catalogue.search(query=question, limit=3)
    assert best.service_id == service_id  # first, at least as a suggestion


@pytest.mark.parametrize("question", ["ทะเบียนบ้าน", "ย้ายทะเบียนบ้านไปต่างจังหวัด", "ข้อมูล"])
def test_only_a_clear_best_match_is_confident(real_catalogue: Catalogue, question: str) -> None:
    ranked = real_catalogue.ranked(query=question, limit=5)
    found = real_catalogue.search(query=question, limit=5)
    lead = ranked[0].score - ranked[1].score
    answer = ranked[0].score >= SERVICE_THRESHOLD and (
        lead >= SERVICE_MARGIN or ranked[0].score >= SERVICE_SURE
    )
    assert [m.confident for m in found] == [answer] + [False] * (len(found) - 1)
    for match in found:
        assert 0.0 <= match.confidence <= 1.0
        assert match.confident == (match.confidence >= 0.5)
        assert match.confident == is_confident(ranked) if match is found[0] else not match.confident


def test_a_near_tie_is_a_suggestion_not_an_answer() -> None:
    def scored(*scores: float) -> list[Scored]:
        return [Scored(key=f"s{i}", score=s, words=s, names=s) for i, s in enumerate(scores)]

    assert is_confident(scored(0.70, 0.60))  # clear lead
    assert not is_confident(scored(0.70, 0.66))  # two alike: "did you mean"
    assert is_confident(scored(0.90, 0.88))  # both sure: the best is the answer
    assert not is_confident(scored(0.50))  # below the threshold
    assert is_confident(scored(0.60))  # alone above it
    assert not is_confident([])


def test_agencies_are_found_by_name_acronym_and_english(real_catalogue: Catalogue) -> None:
    for question, agency_id in [
        ("ขอเบอร์กรมการปกครอง", "dopa"),
        ("เบอร์ สคบ", "ocpb"),
        ("social security office", "sso"),
        ("ศูนย์ดำรงธรรมอยู่ที่ไหน", "damrongdhama"),
    ]:
        [best, *_] = real_catalogue.search_agencies(query=question)
        assert (best.agency_id, best.confident) == (agency_id, True), question
    assert not any(m.confident for m in real_catalogue.search_agencies(query="โรงแรมแถวนี้"))


def test_names_outrank_the_same_word_in_a_summary(analyzer: Analyzer) -> None:
    index = Index.build(
        [
            Document("summary_only", ["บริการอื่น"], [("เรื่องนี้เกี่ยวกับใบอนุญาตตั้งโรงงาน", 1.0)]),
            Document("named", ["ใบอนุญาตตั้งโรงงาน"], [("ยื่นที่สำนักงานอุตสาหกรรมจังหวัด", 1.0)]),
            Document("other", ["ทำหนังสือเดินทาง"], [("ยื่นที่กรมการกงสุล", 1.0)]),
        ],
        analyzer,
    )
    ranked = index.rank("ขอใบอนุญาตตั้งโรงงาน", limit=3)
    assert [s.key for s in ranked[:2]] == ["named", "summary_only"]
    assert ranked[0].score > ranked[1].score
    assert index.rank("", limit=3) == []
    assert index.rank("ขอใบอนุญาตตั้งโรงงาน", limit=1)[0].key == "named"


def test_analyzer_normalises_before_segmenting(analyzer: Analyzer) -> None:
    assert analyzer.tokens("ทำบัตรประชาชนใหม่ต้องใช้อะไรบ้างคะ") == ["ทำ", "บัตรประชาชน"]
    assert analyzer.tokens("บัตร\u200bประชาชน") == analyzer.tokens("บัตรประชาชน")
    assert analyzer.squashed("ต่อ ภาษี!") == analyzer.squashed("ตอภาษี")  # tones, spaces
    assert analyzer.grams("ab") == {"ab"}
    assert "ภาษ" in analyzer.grams("ภาษี")
    assert "มอเตอร์ไซค์" in analyzer.expand("ขับมอไซค์")
