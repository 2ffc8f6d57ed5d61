"""The report as CSV (read back with the csv module, as Excel would get it) and as JSON."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy.orm import Session

from bot.reports.export import HEADER, SECTIONS, as_dict, csv_filename, to_csv
from bot.reports.labels import Labels
from bot.reports.service import build_report
from tests.bot.reports.reportdata import BMA, END, NOW, START, scenario

BOM = b"\xef\xbb\xbf"
LABELS = Labels(agency_names={BMA: "กรุงเทพมหานคร (กทม.)", "bma-district-1004": "สำนักงานเขตบางรัก"})


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    assert not data[3:].startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_csv_has_a_bom_and_one_tidy_table_that_parses_back(session: Session) -> None:
    scenario(session)
    report = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    data = to_csv(report, LABELS)

    rows = _rows(data)
    assert rows[0] == list(HEADER)
    assert all(len(row) == len(HEADER) for row in rows)
    assert {row[0] for row in rows[1:]} <= set(SECTIONS)
    assert b"\r\n" in data  # Excel's line ends
    by = {(r[0], r[1], r[2]): r for r in rows[1:]}

    assert by[("tickets_created", "2026-03-02", "complaint_road")][3:] == [
        "ถนน ทางเท้า สะพาน",
        "1",
    ]
    assert by[("by_type", "", "complaint_road")][4] == "3"
    assert by[("by_status", "", "rejected")][3:] == ["ไม่สามารถรับเรื่องได้", "1"]
    assert by[("by_agency", "", BMA)][3:] == ["กรุงเทพมหานคร (กทม.)", "4"]
    assert by[("sla", "", "count")][4] == "2"
    # T2: 3 days 18.5 hours late; T3 10.5 days and still open. Dates are filing dates.
    assert by[("sla_breach_resolved_late", "2026-03-02", "DS-T0000002")][4] == "325800"
    assert by[("sla_breach_open_overdue", "2026-03-05", "DS-T0000003")][4] == "907200"
    assert float(by[("ticket_first_response", "", "median_seconds")][4]) == 5400
    assert by[("ticket_first_response", "", "without_response")][4] == "2"
    assert float(by[("handoff_wait", "", "p90_seconds")][4]) == 2980
    assert by[("handoff_wait", "", "abandoned")][4] == "1"
    assert by[("handoff_wait_bucket", "", ">60m")][4] == "1"
    assert by[("ticket_rating", "", "2")][4] == "1"
    assert float(by[("handoff_rating", "", "mean")][4]) == 4.33
    # Nothing of another agency.
    assert not any("DS-T0000009" in cell or "pea" in cell for row in rows for cell in row)
    assert csv_filename(report) == "desk-report-2026-03-01_2026-03-10.csv"


def test_an_empty_report_still_has_every_statistic_with_empty_medians(session: Session) -> None:
    report = build_report(session, scope=[], start=START, end=END, now=NOW)
    rows = _rows(to_csv(report, Labels()))
    by = {(r[0], r[2]): r[4] for r in rows[1:]}
    assert by[("ticket_resolution", "count")] == "0"
    assert by[("ticket_resolution", "median_seconds")] == ""
    assert by[("ticket_rating", "mean")] == ""
    assert not [r for r in rows if r[0] == "tickets_created"]


def test_names_cannot_become_spreadsheet_formulas(session: Session) -> None:
    scenario(session)
    report = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    labels = Labels(agency_names={BMA: '=HYPERLINK("http://evil.example","x")'})
    rows = _rows(to_csv(report, labels))
    cell = next(r[3] for r in rows if r[0] == "by_agency" and r[2] == BMA)
    assert cell == '\'=HYPERLINK("http://evil.example","x")'


def test_json_carries_labels_ids_and_what_each_duration_measures(session: Session) -> None:
    scenario(session)
    report = build_report(session, scope=[BMA], start=START, end=END, now=NOW)
    data = json.loads(json.dumps(as_dict(report, LABELS)))

    assert data["start"] == "2026-03-01" and data["end"] == "2026-03-10"
    assert data["scope"] == [BMA]
    assert data["tickets"] == 6
    assert data["sla"]["ticket_ids"] == ["DS-T0000002", "DS-T0000003"]
    assert data["sla"]["breaches"][0]["agency_name"] == "กรุงเทพมหานคร (กทม.)"
    assert data["by_type"][0] == {
        "key": "complaint_road",
        "label": "ถนน ทางเท้า สะพาน",
        "count": 3,
    }
    assert data["handoff_first_response"]["basis"] == "requested_at → first_response_at"
    assert data["handoff_first_response_after_claim"]["median_s"] == 100.0
    assert data["ticket_ratings"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
