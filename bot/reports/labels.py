"""The Thai words staff read in reports: complaint types, statuses, agencies, durations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.reports.service import OPEN_OVERDUE, RESOLVED_LATE
from bot.tickets.lifecycle import STATUS_TH, TICKET_TYPES_TH
from bot.tickets.routing import Router

BREACH_TH = {
    OPEN_OVERDUE: "ยังไม่เสร็จ เกินกำหนด",
    RESOLVED_LATE: "เสร็จหลังกำหนด",
}
WAIT_BUCKETS_TH = {
    "<1m": "< 1 นาที",
    "1-5m": "1–5 นาที",
    "5-15m": "5–15 นาที",
    "15-30m": "15–30 นาที",
    "30-60m": "30–60 นาที",
    ">60m": "> 60 นาที",
}


@dataclass(frozen=True)
class Labels:
    """Names for the keys a report holds; an unknown key is shown as it is."""

    agency_names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_router(cls, router: Router | None, agency_ids: Iterable[str]) -> Labels:
        """Agency names from the routing data (an id it does not know stays an id)."""
        names: dict[str, str] = {}
        for agency_id in agency_ids:
            try:
                names[agency_id] = router.agency(agency_id).name if router else agency_id
            except KeyError:
                names[agency_id] = agency_id
        return cls(agency_names=names)

    def agency(self, agency_id: str) -> str:
        """The agency's Thai name."""
        return self.agency_names.get(agency_id, agency_id)

    def complaint_type(self, key: str) -> str:
        """The complaint type's Thai name."""
        return TICKET_TYPES_TH.get(key, key)

    def status(self, key: str) -> str:
        """The ticket status in Thai."""
        return STATUS_TH.get(key, key)

    def breach(self, kind: str) -> str:
        """How a ticket missed its SLA, in Thai."""
        return BREACH_TH.get(kind, kind)

    def wait_bucket(self, key: str) -> str:
        """A hand-off wait bucket, in Thai."""
        return WAIT_BUCKETS_TH.get(key, key)


def duration_th(seconds: float | None) -> str:
    """A duration for people: "45 วินาที", "12 นาที", "3 ชม. 5 นาที", "2 วัน 4 ชม."."""
    if seconds is None:
        return "–"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} วินาที"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} นาที"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} ชม. {minutes} นาที" if minutes else f"{hours} ชม."
    days, hours = divmod(hours, 24)
    return f"{days} วัน {hours} ชม." if hours else f"{days} วัน"
