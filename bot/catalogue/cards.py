"""LINE Flex messages for the catalogue: a service card, an agency card, a category list.

Written for citizens who may be elderly: large title, short lists ("และอื่น ๆ" past a
few items), one big call button. Everything respects LINE's limits (altText <= 1500,
action labels <= 20, https/tel URIs only, 13 quick replies) so a card never makes LINE
reject the whole reply. Buttons for quick replies come out as Rasa buttons (title,
payload); the gateway turns those into LINE quick-reply chips (bot/line/convert.py).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

from pythainlp.tokenize import word_tokenize

from bot.catalogue.schemas import Agency, Category, Match, Service

MAX_ALT_TEXT = 1500
MAX_LABEL = 20
MAX_QUICK_REPLIES = 13
MAX_LIST_ITEMS = 3
MAX_ITEM_CHARS = 90
MAX_SUMMARY_CHARS = 180
MAX_CATEGORY_ROWS = 10
# A Flex carousel holds at most 12 bubbles (LINE's limit): 120 services of one category.
MAX_CATEGORY_PAGES = 12
# LINE's limit on a carousel's JSON is 50 KB; kept a little under it.
MAX_CAROUSEL_BYTES = 48_000
MORE = "และอื่น ๆ"
ACCENT = "#06C755"  # LINE green, for the one primary action
MUTED = "#6B7280"
BANGKOK = ZoneInfo("Asia/Bangkok")

LABELS = {
    "documents": "เอกสารที่ต้องใช้",
    "fees": "ค่าธรรมเนียม",
    "time": "ใช้เวลา",
    "where": "ยื่นได้ที่",
    "eligibility": "ใครยื่นได้",
    "call": "โทร",
    "online": "ทำออนไลน์",
    "online_section": "ช่องทางออนไลน์",
    "app": "ทำผ่านแอป",
    "source": "ที่มา",
    "verified": "เจ้าหน้าที่ตรวจสอบข้อมูลนี้กับแหล่งที่มาแล้วเมื่อ {day}",
    "unverified": "ข้อมูลนี้อาจเปลี่ยนแปลงแล้ว ก่อนเดินทางโปรดสอบถาม{who}",
    "staff": "คุยกับเจ้าหน้าที่",
    "website": "เว็บไซต์",
    "office": "ที่ตั้ง",
    "handles": "ดูแลเรื่อง",
    "services_of": "บริการในหมวด",
    "more_services": "พิมพ์ชื่อบริการที่ต้องการได้เลยค่ะ",
    "more": "อ่านต่อ",
    "feedback": "ข้อมูลนี้ช่วยได้ไหมคะ",
    "helpful": "👍 ช่วยได้",
    "unhelpful": "👎 ไม่ช่วย",
    "wrong": "ข้อมูลไม่ถูกต้อง",
    "more_said": "ขอรายละเอียดทั้งหมด",
}
THAI_MONTHS = "ม.ค. ก.พ. มี.ค. เม.ย. พ.ค. มิ.ย. ก.ค. ส.ค. ก.ย. ต.ค. พ.ย. ธ.ค.".split()
STAFF_BUTTON = {"title": LABELS["staff"], "payload": "/request_human"}


def thai_date(day: date) -> str:
    """22 พ.ย. 2569: Thai month, Buddhist-era year, as citizens read dates."""
    return f"{day.day} {THAI_MONTHS[day.month - 1]} {day.year + 543}"


def clip(text: str, limit: int) -> str:
    """Text cut to at most `limit` characters with an ellipsis, between two words: Thai is
    written without spaces, so the words are PyThaiNLP's (a cut mid-word reads wrong)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for word in word_tokenize(text[: limit + 20], engine="newmm", keep_whitespace=True):
        if len(kept) + len(word) > limit - 1:
            break
        kept += word
    kept = kept.rstrip(" ,;:-–(")
    if len(kept) < limit // 2:  # one very long "word" (a URL, a number run): cut it
        kept = text[: limit - 1].rstrip()
    return kept + "…"


def clipped(text: str, limit: int) -> bool:
    """Whether `clip` shortens the text."""
    return len(" ".join(text.split())) > limit


def short_title(service: Service) -> str:
    """A label of at most 20 characters: the title, else the first alias that fits and is
    written as a name — Thai, or with a capital ("ThaID"): aliases are also search terms
    in lower case ("tdac", "vat refund"), which read badly on a button — else any alias
    that fits."""
    if len(service.title) <= MAX_LABEL:
        return service.title
    fitting = [name for name in service.aliases if len(name) <= MAX_LABEL]
    named = [name for name in fitting if _NAME.search(name)]
    return (named or fitting or [clip(service.title, MAX_LABEL)])[0]


_NAME = re.compile(r"[\u0e01-\u0e4eA-Z]")


def tel_uri(hotline: str) -> str | None:
    """tel: URI of a hotline's number ("02-572-8442" -> tel:025728442, "1111 กด 77" -> 1111)."""
    number = re.match(r"[0-9][0-9 -]*", hotline.strip())
    digits = re.sub(r"\D", "", number.group(0)) if number else ""
    return f"tel:{digits}" if 3 <= len(digits) <= 15 else None


def cut(text: str, limit: int) -> str:
    """Text cut to `limit` characters with an ellipsis, line breaks kept (for altText)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _https(url: str | None) -> str | None:
    return url if url and url.startswith("https://") and len(url) <= 1000 else None


def _capped(items: list[str]) -> list[str]:
    shown = [clip(i, MAX_ITEM_CHARS) for i in items[:MAX_LIST_ITEMS]]
    if len(items) > MAX_LIST_ITEMS:
        shown.append(MORE)
    return shown


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": text or " ", "wrap": True, **style}


def _section(label: str, lines: list[str]) -> dict[str, Any]:
    bullets = [_text(f"• {line}" if len(lines) > 1 else line, size="md") for line in lines]
    return {
        "type": "box",
        "layout": "vertical",
        "spacing": "xs",
        "margin": "lg",
        "contents": [_text(label, weight="bold", size="sm", color=MUTED), *bullets],
    }


def _bubble(
    body: list[dict[str, Any]], buttons: list[dict[str, Any]], size: str | None = None
) -> dict[str, Any]:
    """A bubble of `body` lines, with `buttons` in its footer when there are any."""
    bubble: dict[str, Any] = {
        "type": "bubble",
        **({"size": size} if size else {}),
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": buttons,
        }
    return bubble


def _button(label: str, uri: str, *, primary: bool = False) -> dict[str, Any]:
    return {
        "type": "button",
        "style": "primary" if primary else "secondary",
        "height": "md",
        **({"color": ACCENT} if primary else {}),
        "action": {"type": "uri", "label": clip(label, MAX_LABEL), "uri": uri},
    }


def _postback(label: str, payload: str, display: str) -> dict[str, Any]:
    return {
        "type": "postback",
        "label": clip(label, MAX_LABEL),
        "data": payload[:300],
        "displayText": clip(display, 300),
    }


def lookup_payload(**entities: str) -> str:
    """The postback payload that asks Rasa for a service or category directly."""
    return "/service_lookup" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def agency_payload(agency_id: str) -> str:
    """The postback payload that asks Rasa for an agency's contact card."""
    return "/agency_contact" + json.dumps({"agency_id": agency_id}, separators=(",", ":"))


def provenance(service: Service, agency: Agency | None, *, today: date) -> str:
    """What the citizen may trust about the details: confirmed by staff on a date, or
    that they may have changed and whom to ask before travelling (never a date nobody
    checked)."""
    verified = service.verified_on(today)
    if verified is not None:
        return LABELS["verified"].format(day=thai_date(verified))
    hotline = service.hotline or (agency.hotline if agency else None)
    name = agency.name if agency else None
    if hotline and name:
        who = f" {name} โทร {hotline}"
    elif hotline:
        who = f"สายด่วน {hotline}"
    elif name:
        who = f" {name}"
    else:
        who = "หน่วยงานที่รับผิดชอบ"
    return LABELS["unverified"].format(who=who)


def bangkok_today() -> date:
    """Today in Bangkok, the day a review date is compared with."""
    return datetime.now(BANGKOK).date()


def _source_line(service: Service, agency: Agency | None, today: date) -> dict[str, Any]:
    host = urlparse(service.source).hostname or service.source
    return _text(
        f"{provenance(service, agency, today=today)} · {LABELS['source']}: {host}",
        size="xs",
        color=MUTED,
        margin="lg",
        action={"type": "uri", "label": LABELS["source"], "uri": service.source},
    )


def service_bubble(
    service: Service,
    *,
    category: Category | None = None,
    agency: Agency | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The Flex bubble answering "how do I get X"."""
    body: list[dict[str, Any]] = []
    if category is not None:
        body.append(_text(category.title, size="xs", color=MUTED))
    body.append(_text(clip(service.title, 160), weight="bold", size="lg"))
    body.append(_text(clip(service.summary, MAX_SUMMARY_CHARS), size="md", margin="md"))
    if service.documents:
        body.append(_section(LABELS["documents"], _capped(service.documents)))
    if service.fees:
        body.append(_section(LABELS["fees"], [clip(service.fees, MAX_ITEM_CHARS)]))
    if service.processing_time:
        body.append(_section(LABELS["time"], [clip(service.processing_time, MAX_ITEM_CHARS)]))
    if service.where:
        body.append(_section(LABELS["where"], _capped(service.where)))
    online = service.online
    if online is not None and (online.app or online.note):
        lines = [f"{LABELS['app']} {online.app}"] if online.app else []
        if online.note:
            lines.append(clip(online.note, MAX_ITEM_CHARS))
        body.append(_section(LABELS["online_section"], lines))
    body.append(_source_line(service, agency, today or bangkok_today()))

    buttons: list[dict[str, Any]] = []
    if shortened(service):
        # What the card had to shorten, in full: a citizen deciding whether to travel to
        # an office needs every document, not the first three.
        more = _postback(
            LABELS["more"],
            lookup_payload(service_id=service.id, details="full"),
            LABELS["more_said"],
        )
        buttons.append({"type": "button", "style": "link", "height": "sm", "action": more})
    tel = tel_uri(service.hotline) if service.hotline else None
    if tel and service.hotline:
        buttons.append(_button(f"{LABELS['call']} {service.hotline}", tel, primary=True))
    if online is not None and (url := _https(online.url)):
        label = f"{LABELS['app']} {online.app}" if online.app else LABELS["online"]
        if len(label) > MAX_LABEL:
            label = LABELS["online"]
        buttons.append(_button(label, url))
    return _bubble(body, [*buttons, *_feedback_row(service)], size="mega")


def feedback_payload(service_id: str, vote: str) -> str:
    """The gateway postback of a vote on a service card (bot.worker.feedback)."""
    return urlencode({"action": "service_feedback", "s": service_id, "v": vote})


def _feedback_row(service: Service) -> list[dict[str, Any]]:
    said = {
        "helpful": "👍 ข้อมูลนี้ช่วยได้",
        "unhelpful": "👎 ข้อมูลนี้ไม่ช่วย",
        "wrong": "ข้อมูลนี้ไม่ถูกต้อง",
    }
    buttons = [
        {
            "type": "button",
            "style": "link",
            "height": "sm",
            "flex": 1,
            "action": _postback(LABELS[vote], feedback_payload(service.id, vote), said[vote]),
        }
        for vote in ("helpful", "unhelpful", "wrong")
    ]
    return [
        {"type": "separator", "margin": "md"},
        _text(LABELS["feedback"], size="xs", color=MUTED, align="center", margin="md"),
        {"type": "box", "layout": "horizontal", "spacing": "none", "contents": buttons},
    ]


def shortened(service: Service) -> bool:
    """Whether the service's card leaves anything out (cut text, items beyond three)."""
    lists = (service.documents, service.where)
    if any(
        len(items) > MAX_LIST_ITEMS or any(clipped(i, MAX_ITEM_CHARS) for i in items)
        for items in lists
    ):
        return True
    singles = [
        service.fees,
        service.processing_time,
        service.online.note if service.online else None,
    ]
    return clipped(service.summary, MAX_SUMMARY_CHARS) or any(
        clipped(text, MAX_ITEM_CHARS) for text in singles if text
    )


MAX_TEXT = 5000  # characters of one LINE text message
MAX_FULL_MESSAGES = 4  # a reply holds five messages


def service_full_text(
    service: Service, *, agency: Agency | None = None, today: date | None = None
) -> list[str]:
    """Everything the card says, uncut, as plain text messages of at most 5,000
    characters each (one, for any real entry), split between sections."""
    parts = [service.title, service.summary]

    def section(label: str, items: list[str]) -> None:
        if items:
            parts.append(f"{label}\n" + "\n".join(f"• {i}" for i in items))

    section(LABELS["documents"], list(service.documents))
    section(LABELS["fees"], [service.fees] if service.fees else [])
    section(LABELS["time"], [service.processing_time] if service.processing_time else [])
    section(LABELS["where"], list(service.where))
    online = service.online
    if online is not None:
        lines = [f"{LABELS['app']} {online.app}"] if online.app else []
        lines += [online.note] if online.note else []
        lines += [online.url] if online.url else []
        section(LABELS["online_section"], lines)
    if service.hotline:
        parts.append(f"{LABELS['call']} {service.hotline}")
    parts.append(f"{provenance(service, agency, today=today or bangkok_today())}\n{service.source}")
    messages: list[str] = []
    for part in (p for p in parts if p):
        if messages and len(messages[-1]) + 2 + len(part) <= MAX_TEXT:
            messages[-1] += "\n\n" + part
        else:
            messages.append(cut(part, MAX_TEXT))
    return messages[:MAX_FULL_MESSAGES]


def service_alt_text(service: Service) -> str:
    """What notifications and Flex-less devices show: the gist in plain text."""
    parts = [service.title, service.summary]
    if service.documents:
        parts.append(f"{LABELS['documents']}: " + ", ".join(_capped(service.documents)))
    if service.fees:
        parts.append(f"{LABELS['fees']}: {service.fees}")
    if service.hotline:
        parts.append(f"{LABELS['call']} {service.hotline}")
    return cut("\n".join(parts), MAX_ALT_TEXT)


def service_aspect_text(
    service: Service,
    aspect: str,
    *,
    agency: Agency | None = None,
    today: date | None = None,
) -> str:
    """One detail of a service (fees, documents, where, time) as a text message, asked
    right after its card; what the catalogue does not say is said so, never guessed."""
    label = LABELS[aspect]
    items = {
        "fees": [service.fees] if service.fees else [],
        "documents": list(service.documents),
        "where": list(service.where),
        "time": [service.processing_time] if service.processing_time else [],
    }[aspect]
    if items:
        body = f"{label}: {service.title}\n" + "\n".join(f"• {i}" for i in items)
    else:
        body = f"ข้อมูลของน้องยังไม่มี{label}ของ “{service.title}” ค่ะ"
        if service.hotline:
            body += f" สอบถามได้ที่{LABELS['call']} {service.hotline}"
    note = provenance(service, agency, today=today or bangkok_today())
    return cut(f"{body}\n\n{note}\n{service.source}", MAX_TEXT)


def service_message(
    service: Service,
    *,
    category: Category | None = None,
    agency: Agency | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """A whole LINE Flex message for one service."""
    return {
        "type": "flex",
        "altText": service_alt_text(service),
        "contents": service_bubble(service, category=category, agency=agency, today=today),
    }


def agency_message(agency: Agency) -> dict[str, Any]:
    """A Flex message with an agency's contacts, for the directory."""
    body: list[dict[str, Any]] = [_text(clip(agency.name, 160), weight="bold", size="lg")]
    if agency.name_en:
        body.append(_text(clip(agency.name_en, 160), size="sm", color=MUTED))
    if agency.office:
        body.append(_section(LABELS["office"], [clip(agency.office, MAX_ITEM_CHARS)]))
    if agency.handles:
        body.append(_section(LABELS["handles"], _capped(agency.handles)))
    buttons = []
    tel = tel_uri(agency.hotline) if agency.hotline else None
    if tel and agency.hotline:
        buttons.append(_button(f"{LABELS['call']} {agency.hotline}", tel, primary=True))
    if url := _https(agency.website):
        buttons.append(_button(LABELS["website"], url))
    bubble = _bubble(body, buttons)
    alt = [agency.name]
    if agency.hotline:
        alt.append(f"{LABELS['call']} {agency.hotline}")
    if agency.website:
        alt.append(agency.website)
    return {"type": "flex", "altText": cut("\n".join(alt), MAX_ALT_TEXT), "contents": bubble}


def category_message(category: Category, services: list[Service]) -> dict[str, Any]:
    """A Flex list of a category's services, each a big tappable row: ten to a bubble, the
    bubbles side by side in a carousel when there are more (as many as LINE's limits on a
    carousel allow; the last then says to type the service's name)."""
    pages = [
        services[i : i + MAX_CATEGORY_ROWS] for i in range(0, len(services), MAX_CATEGORY_ROWS)
    ][:MAX_CATEGORY_PAGES] or [[]]
    while True:
        bubbles = [
            _category_page(category, page, number, len(pages))
            for number, page in enumerate(pages, start=1)
        ]
        if sum(map(len, pages)) < len(services) or not services:
            bubbles[-1]["body"]["contents"].append(
                _text(LABELS["more_services"], size="sm", color=MUTED, margin="md")
            )
        contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
        if len(pages) == 1 or _json_size(contents) <= MAX_CAROUSEL_BYTES:
            break
        pages.pop()
    alt = f"{LABELS['services_of']} {category.title}: " + ", ".join(s.title for s in services)
    return {"type": "flex", "altText": clip(alt, MAX_ALT_TEXT), "contents": contents}


def _category_page(
    category: Category, services: list[Service], number: int, pages: int
) -> dict[str, Any]:
    heading = LABELS["services_of"] + (f" ({number}/{pages})" if pages > 1 else "")
    rows = [
        {
            "type": "button",
            "style": "secondary",
            "height": "md",
            "action": _postback(
                short_title(service), lookup_payload(service_id=service.id), service.title
            ),
        }
        for service in services
    ]
    contents = [
        _text(heading, size="xs", color=MUTED),
        _text(clip(category.title, 160), weight="bold", size="lg"),
        *rows,
    ]
    return {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": contents},
    }


def _json_size(node: Any) -> int:
    return len(json.dumps(node, ensure_ascii=False, separators=(",", ":")).encode())


def match_buttons(matches: list[Match], services: dict[str, Service]) -> list[dict[str, str]]:
    """Rasa buttons (quick replies) for other services the question may have meant."""
    buttons = []
    for match in matches:
        service = services.get(match.service_id)
        if service is not None:
            buttons.append(
                {"title": short_title(service), "payload": lookup_payload(service_id=service.id)}
            )
    return buttons


def short_category(title: str) -> str:
    """A category title cut to a label at a natural break ("งานทะเบียนราษฎรและ…" -> first part)."""
    if len(title) <= MAX_LABEL:
        return title
    for part in re.split(r"\s+|และ|หรือ|,", title):
        if 4 <= len(part) <= MAX_LABEL:
            return part
    return clip(title, MAX_LABEL)


def category_buttons(categories: list[Category]) -> list[dict[str, str]]:
    """Rasa buttons (quick replies) that open each category's list."""
    return [
        {"title": short_category(c.title), "payload": lookup_payload(service_category=c.id)}
        for c in categories
    ]


def quick_replies(*groups: list[dict[str, str]], staff: bool = True) -> list[dict[str, str]]:
    """Buttons from several groups, de-duplicated, "talk to staff" last, at most 13."""
    room = MAX_QUICK_REPLIES - (1 if staff else 0)
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for group in groups:
        for button in group:
            if button["payload"] not in seen and len(out) < room:
                seen.add(button["payload"])
                out.append(button)
    return [*out, STAFF_BUTTON] if staff else out
