"""Charts (SVG from pygal) and the page: labels are escaped, nothing runs, Thai shows."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.reports import page
from bot.reports.charts import integer_ticks, render_all
from bot.reports.labels import Labels
from bot.reports.service import build_report
from tests.bot.reports.reportdata import BMA, END, NOW, START, scenario, ticket, utc

EVIL_TYPE = "<script>alert(1)</script>"
EVIL_AGENCY = '<script>alert("a")</script> สำนักงาน & <b>'


def _texts(svg: str) -> list[str]:
    return [(node.text or "").strip() for node in ET.fromstring(svg).iter()]


def _tags(svg: str) -> set[str]:
    return {node.tag.rsplit("}", 1)[-1] for node in ET.fromstring(svg).iter()}


@pytest.fixture
def evil(session: Session) -> tuple[Session, Labels]:
    """The scenario plus a ticket whose complaint type and agency name are markup."""
    scenario(session)
    ticket(session, "DS-X0000001", agency="bma-evil", created=utc(3, 3), due=utc(3, 4),
           complaint_type=EVIL_TYPE)  # fmt: skip
    return session, Labels(agency_names={"bma-evil": EVIL_AGENCY})


def test_labels_are_text_in_the_svg_never_markup(evil: tuple[Session, Labels]) -> None:
    session, labels = evil
    report = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    charts = {c.name: c for c in render_all(report, labels)}
    assert set(charts) == {"created", "status", "agency", "sla", "waits", "satisfaction"}

    for chart in charts.values():
        assert "script" not in _tags(chart.svg), chart.name  # pygal's own config script too
        assert "<script" not in chart.svg and "<b>" not in chart.svg
        assert base64.b64decode(chart.data_uri.split(",", 1)[1]).decode() == chart.svg
        # Nothing fetched from elsewhere (pygal.js, fonts).
        assert not re.search(r"""(href|src)=["'](https?:)?//""", chart.svg), chart.name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in charts["created"].svg
    assert EVIL_TYPE in _texts(charts["created"].svg)
    assert '&lt;script&gt;alert("a")&lt;/script&gt; สำนักงาน &amp; &lt;b&gt;' in (
        charts["agency"].svg
    )
    assert EVIL_AGENCY in _texts(charts["agency"].svg)
    # Thai labels are written as they are (UTF-8), for the browser's Thai fonts.
    assert "ถนน ทางเท้า สะพาน" in _texts(charts["created"].svg)
    assert "รับเรื่องแล้ว" in _texts(charts["status"].svg)
    assert "5 ดาว" in _texts(charts["satisfaction"].svg)


def test_the_page_escapes_labels_and_has_no_script(evil: tuple[Session, Labels]) -> None:
    session, labels = evil
    report = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    html = page.render(
        context={"base": "/console", "staff": None},
        start=START,
        end=END,
        report=report,
        labels=labels,
        scope_names=["กรุงเทพมหานคร"],
    )
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "สำนักงาน &amp; &lt;b&gt;" in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 6
    assert 'href="/console/api/reports.csv?start=2026-03-01&amp;end=2026-03-10"' in html
    assert "ดาวน์โหลด CSV" in html
    assert "DS-T0000002" in html and "DS-T0000003" in html  # the breach list
    assert "ไม่มีเรื่องในช่วงนี้" not in html


def test_an_empty_report_and_an_error_render(session: Session) -> None:
    empty = build_report(session, scope=[], start=START, end=END, now=NOW)
    html = page.render(
        context={"base": "/console"},
        start=START,
        end=END,
        report=empty,
        labels=Labels(),
        scope_names=[],
    )
    assert "ไม่มีเรื่องในช่วงนี้" in html
    assert all("ไม่มีข้อมูล" in c.svg for c in render_all(empty, Labels()) if c.name != "status")

    error = page.render(
        context={"base": "/console"},
        start=END,
        end=START,
        report=None,
        labels=Labels(),
        scope_names=None,
        error="วันเริ่มต้องไม่อยู่หลังวันสิ้นสุด",
    )
    assert 'role="alert"' in error and "ดาวน์โหลด CSV" not in error
    assert 'value="2026-03-10"' in error  # the form keeps what was asked


def test_a_long_range_is_drawn_per_week(session: Session) -> None:
    scenario(session)
    start = date(2026, 1, 1)
    report = build_report(session, scope=[BMA], start=start, end=start + timedelta(days=199))
    created = render_all(report, Labels())[0]
    assert "รายสัปดาห์" in created.title
    # Thursday 1 January to Sunday 19 July touch 29 weeks (29 Dec – 13 Jul): one bar per
    # week for each of the 3 complaint types.
    bars = ET.fromstring(created.svg).findall(".//*[@class='rect reactive tooltip-trigger']")
    assert len(report.by_type) == 3
    assert len(bars) == 29 * 3


def test_count_axes_have_whole_numbers_each_once(session: Session) -> None:
    # A few tickets used to give an axis of 0 0 0 1 1 1 2 2 2 (halves printed as whole).
    scenario(session)
    report = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    for chart in render_all(report, Labels()):
        root = ET.fromstring(chart.svg)
        for group in root.iter():
            classes = (group.get("class") or "").split()
            if "axis" not in classes:
                continue
            texts = ["".join(t.itertext()).strip() for t in group.iter() if t.tag.endswith("text")]
            numbers = [t for t in texts if t.replace(",", "").isdigit()]
            assert len(numbers) == len(set(numbers)), (chart.name, classes, texts)
            assert all(int(n.replace(",", "")) >= 0 for n in numbers)
    assert integer_ticks(3) == [0, 1, 2, 3]
    assert integer_ticks(17) == [0, 5, 10, 15, 20]
    assert integer_ticks(0) == [0, 1]
