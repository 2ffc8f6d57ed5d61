"""The report's charts as SVG, drawn on the server with pygal (no JavaScript needed).

pygal builds the SVG as an XML tree and serialises it, so every label (a complaint type,
an agency name) is escaped as XML text. The page shows each chart as an ``<img>`` with a
data: URI: an SVG image can never run script, its styles stay inside it (the page's CSP
allows no inline style), and the tables beside it carry the same numbers for screen
readers and copying.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pygal
from pygal.style import Style

from bot.reports.labels import Labels
from bot.reports.service import RATINGS, Report
from bot.tickets.lifecycle import STATUS_COLOUR

# Bars per day up to about two months; a longer range is drawn per week (the CSV keeps days).
DAILY_UP_TO_DAYS = 62
TOP_TYPES = 8
TOP_AGENCIES = 12
OTHERS = "อื่น ๆ"
PALETTE = (
    "#1F6FB2",
    "#C27C0E",
    "#1E8E3E",
    "#B3261E",
    "#6A4C93",
    "#00838F",
    "#AD1457",
    "#5D4037",
    "#7C8B9A",
)
# As the console's CSS: the system face, then Thai ones (Noto, Windows', Debian's TLWG).
FONTS = "system-ui, 'Noto Sans Thai', 'Leelawadee UI', Tahoma, Loma, Waree, Garuda, sans-serif"
_STYLE: dict[str, Any] = {
    "font_family": FONTS,
    "background": "#ffffff",
    "plot_background": "#ffffff",
    "foreground": "#2b2f33",
    "foreground_strong": "#1b1e21",
    "foreground_subtle": "#d5dbe1",
    "label_font_size": 12,
    "major_label_font_size": 12,
    "legend_font_size": 12,
    "title_font_size": 15,
    "value_font_size": 11,
    "no_data_font_size": 16,
}


def _style(colors: tuple[str, ...] = PALETTE) -> Style:
    return Style(**_STYLE, colors=colors)


@dataclass(frozen=True)
class Chart:
    """One rendered chart: a name for anchors, its Thai title and the SVG text."""

    name: str
    title: str
    svg: str

    @property
    def data_uri(self) -> str:
        """The SVG as a data: URI for an ``<img src>``."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _without_scripts(root: Any) -> Any:
    # pygal puts its tooltip configuration in a <script>; without pygal.js it does nothing,
    # so it is dropped rather than shipped.
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _chart(kind: Callable[..., Any], title: str, **config: Any) -> Any:
    chart = kind(
        title=title,
        style=config.pop("style", None) or _style(),
        js=[],  # no pygal.js from the internet
        disable_xml_declaration=True,
        width=config.pop("width", 900),
        height=config.pop("height", 380),
        no_data_text="ไม่มีข้อมูล",
        legend_at_bottom=True,
        legend_at_bottom_columns=config.pop("legend_at_bottom_columns", 3),
        truncate_legend=-1,
        truncate_label=-1,
        print_values=False,
        value_formatter=lambda v: f"{v:,.0f}",
        margin=16,
        **config,
    )
    chart.add_xml_filter(_without_scripts)
    return chart


def integer_ticks(top: int, most: int = 8) -> list[int]:
    """Whole-number axis labels from 0 past `top`, at most about `most` of them: counts
    have no halves, and 0.5 shown as "0" repeats labels ("0 0 0 1 1 1 2")."""
    top = max(1, top)
    rough = max(1, math.ceil(top / most))
    power = 10 ** max(0, len(str(rough)) - 1)
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return list(range(0, top + step, step))


def _render(name: str, chart: Any, top: int | None = None) -> Chart:
    """The chart's SVG; `top` is its largest count (bars stacked), for whole-number axes."""
    if top is not None and chart.raw_series:  # pygal cannot set labels of an empty chart
        chart.config.y_labels = integer_ticks(top)
    return Chart(name=name, title=chart.config.title, svg=chart.render(is_unicode=True))


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def created_chart(report: Report, labels: Labels) -> Chart:
    """Tickets created per day (or per week), stacked by complaint type."""
    daily = len(report.days) <= DAILY_UP_TO_DAYS
    bucket: Callable[[date], date] = (lambda d: d) if daily else _week_start
    periods = list(dict.fromkeys(bucket(d) for d in report.days))
    top = [c.key for c in report.by_type[:TOP_TYPES]]
    counts: dict[str, Counter[date]] = {key: Counter() for key in [*top, OTHERS]}
    for row in report.created_by_day:
        counts[row.key if row.key in top else OTHERS][bucket(row.day)] += row.count
    title = "เรื่องร้องเรียนใหม่รายวัน" if daily else "เรื่องร้องเรียนใหม่รายสัปดาห์ (เริ่มวันจันทร์)"
    chart = _chart(
        pygal.StackedBar,
        f"{title} แยกตามประเภท",
        x_label_rotation=-45 if len(periods) > 14 else 0,
        show_minor_x_labels=False,
        x_labels_major_count=min(len(periods), 16),
        legend_at_bottom_columns=2,
        height=440,
    )
    chart.x_labels = [f"{p.day}/{p.month}" for p in periods]
    for key, by_period in counts.items():
        if key == OTHERS and not by_period:
            continue
        label = OTHERS if key == OTHERS else labels.complaint_type(key)
        chart.add(label, [by_period.get(p, 0) for p in periods])
    stacked = max((sum(c.get(p, 0) for c in counts.values()) for p in periods), default=0)
    return _render("created", chart, stacked)


def status_chart(report: Report, labels: Labels) -> Chart:
    """Tickets by their current status, each bar in its status colour, in lifecycle order."""
    statuses = report.by_status[::-1]  # pygal draws horizontal bars bottom-up
    chart = _chart(
        pygal.HorizontalBar,
        "สถานะปัจจุบันของเรื่อง",
        height=max(220, 80 + 36 * len(statuses)),
        show_legend=False,
    )
    chart.x_labels = [labels.status(c.key) for c in statuses]
    chart.add(
        "จำนวนเรื่อง",
        [{"value": c.count, "color": STATUS_COLOUR.get(c.key, PALETTE[-1])} for c in statuses],
    )
    return _render("status", chart, max((c.count for c in statuses), default=0))


def agency_chart(report: Report, labels: Labels) -> Chart:
    """Tickets by agency, the busiest first (the rest summed as "others")."""
    top = report.by_agency[:TOP_AGENCIES]
    rest = sum(c.count for c in report.by_agency[TOP_AGENCIES:])
    names = [labels.agency(c.key) for c in top] + ([OTHERS] if rest else [])
    values = [c.count for c in top] + ([rest] if rest else [])
    chart = _chart(
        pygal.HorizontalBar,
        "เรื่องร้องเรียนแยกตามหน่วยงาน",
        height=max(220, 60 + 32 * len(values)),
        show_legend=False,
    )
    # pygal draws horizontal bars bottom-up: reverse so the busiest is on top.
    chart.x_labels = names[::-1]
    chart.add("จำนวนเรื่อง", values[::-1])
    return _render("agency", chart, max(values, default=0))


def sla_chart(report: Report, labels: Labels) -> Chart:
    """SLA breaches by the day (or week) the ticket was filed, by kind."""
    daily = len(report.days) <= DAILY_UP_TO_DAYS
    bucket: Callable[[date], date] = (lambda d: d) if daily else _week_start
    periods = list(dict.fromkeys(bucket(d) for d in report.days))
    counts: dict[str, Counter[date]] = {"open_overdue": Counter(), "resolved_late": Counter()}
    for breach in report.sla.breaches:
        counts[breach.kind][bucket(breach.created_on)] += 1
    style = _style(("#B3261E", "#C27C0E"))
    chart = _chart(
        pygal.StackedBar,
        "เรื่องที่เกินกำหนด (SLA) ตามวันที่รับเรื่อง",
        style=style,
        x_label_rotation=-45 if len(periods) > 14 else 0,
        show_minor_x_labels=False,
        x_labels_major_count=min(len(periods), 16),
        height=340,
    )
    chart.x_labels = [f"{p.day}/{p.month}" for p in periods]
    if report.sla.count:
        for kind, by_period in counts.items():
            chart.add(labels.breach(kind), [by_period.get(p, 0) for p in periods])
    stacked = max((sum(c.get(p, 0) for c in counts.values()) for p in periods), default=0)
    return _render("sla", chart, stacked)


def wait_chart(report: Report, labels: Labels) -> Chart:
    """Claimed hand-offs by how long the citizen waited for an agent."""
    buckets = report.handoff_waits.buckets
    chart = _chart(pygal.Bar, "เวลารอเจ้าหน้าที่รับสาย (hand-off)", height=320, show_legend=False)
    chart.x_labels = [labels.wait_bucket(b.key) for b in buckets]
    if report.handoff_waits.claimed:
        chart.add("จำนวน", [b.count for b in buckets])
    return _render("waits", chart, max((b.count for b in buckets), default=0))


def satisfaction_chart(report: Report, labels: Labels) -> Chart:
    """How many ratings of each score, tickets and hand-offs side by side."""
    chart = _chart(pygal.Bar, "ความพึงพอใจ (คะแนน 1–5)", height=320)
    chart.x_labels = [f"{score} ดาว" for score in RATINGS]
    if report.ticket_ratings.count or report.handoff_ratings.count:
        chart.add("เรื่องร้องเรียน", [report.ticket_ratings.distribution[s] for s in RATINGS])
        chart.add("คุยกับเจ้าหน้าที่", [report.handoff_ratings.distribution[s] for s in RATINGS])
    top = max(
        [
            *report.ticket_ratings.distribution.values(),
            *report.handoff_ratings.distribution.values(),
        ],
        default=0,
    )
    return _render("satisfaction", chart, top)


def render_all(report: Report, labels: Labels) -> list[Chart]:
    """Every chart of the report page, in page order."""
    return [
        created_chart(report, labels),
        status_chart(report, labels),
        agency_chart(report, labels),
        sla_chart(report, labels),
        wait_chart(report, labels),
        satisfaction_chart(report, labels),
    ]
