"""What the complaint actions say to citizens, as data.

The same voice as domain.yml and bot/messages.py: polite, warm, plain Thai; the bot calls
itself น้อง and ends with ค่ะ/คะ. A reply is the keyword arguments of
`CollectingDispatcher.utter_message`: `say` for a sentence whose buttons become quick
replies, `line` for a whole LINE message (Flex, or text with LINE-only quick replies).
Buttons whose payload starts with "/" go to Rasa as an intent; "@location", "@camera" and
"@cameraRoll" become LINE's own location and camera actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from actions.complaint.slots import CONSENT, DESCRIPTION, LOCATION, PHONE, PHOTOS, TYPE

Reply = dict[str, Any]
Button = Mapping[str, str]


def say(text: str, buttons: Iterable[Button] = ()) -> Reply:
    """A sentence, its buttons shown as quick replies."""
    return {"text": text, "buttons": [dict(button) for button in buttons]}


def line(message: dict[str, Any]) -> Reply:
    """A whole LINE message, passed through by the gateway."""
    return {"json_message": {"line": message}}


# Every question of the intake offers a person (the hand-off's "staff button in forms").
STAFF_CHIP: Button = {"title": "คุยกับเจ้าหน้าที่", "payload": "/request_human"}


def ask(text: str, buttons: Iterable[Button] = ()) -> Reply:
    """A question of the intake form, with the staff chip last."""
    return say(text, [*buttons, STAFF_CHIP])


# Starting -----------------------------------------------------------------------------

CORRUPTION_HINT = " เรื่องทุจริตแจ้งแบบไม่เปิดเผยตัวตนได้นะคะ"
CHANGE_TYPE_BUTTON: Button = {
    "title": "เปลี่ยนประเภทเรื่อง",  # a chip: at most 20 characters
    "payload": "/complaint_change_type",
}


# Buttons of a form that is over (or of an earlier one).
OLD_SUMMARY_BUTTON = "ปุ่มนั้นเป็นของเรื่องที่แจ้งก่อนหน้านี้ค่ะ สำหรับเรื่องนี้ กดปุ่มบนสรุปล่าสุดด้านล่างได้เลยนะคะ"
STALE_NO_TICKET = "ปุ่มนี้เป็นของการแจ้งเรื่องที่จบไปแล้วค่ะ ถ้าต้องการแจ้งเรื่อง พิมพ์เล่าปัญหาที่พบได้เลยนะคะ"
OLD_CANCEL_BUTTON = (
    "ปุ่มนั้นเป็นของเรื่องที่แจ้งก่อนหน้านี้ค่ะ เรื่องที่กำลังแจ้งอยู่ยังไม่ได้ยกเลิกนะคะ หากต้องการยกเลิก พิมพ์ว่า ยกเลิก ได้เลยค่ะ"
)


def filed_not_cancelled(ticket_id: str) -> str:
    """The cancel button of a summary whose complaint was filed: nothing is cancelled."""
    return (
        f"เรื่องนี้ส่งถึงหน่วยงานแล้วค่ะ หมายเลข {ticket_id} จึงยกเลิกจากปุ่มนี้ไม่ได้ "
        "หากไม่ต้องการให้ดำเนินการต่อ แจ้งเจ้าหน้าที่ได้เลยนะคะ"
    )


def expired(label: str) -> str:
    """A button or answer of an intake the conversation's time-out left unfinished."""
    return (
        f"ขออภัยค่ะ การแจ้งเรื่อง “{label}” ที่ค้างไว้หมดเวลาไปแล้ว "
        "น้องยังไม่ได้ส่งเรื่องนี้ให้หน่วยงานนะคะ จะแจ้งต่อเลยไหมคะ"
    )


def already_filed(ticket_id: str) -> str:
    """A button of a form whose complaint is already filed."""
    return f"เรื่องนี้ส่งแล้วค่ะ หมายเลข {ticket_id} ไม่ต้องส่งซ้ำนะคะ กดดูความคืบหน้าได้เลยค่ะ"


PHOTO_KEPT_DESCRIBE = "ได้รับรูปแล้วค่ะ น้องแนบไว้กับเรื่องนี้ให้แล้ว ช่วยพิมพ์เล่าปัญหาเพิ่มอีกนิดนะคะ"
PHOTO_KEPT_WHERE = (
    "ได้รับรูปแล้วค่ะ น้องแนบไว้กับเรื่องนี้ให้แล้ว ต่อไปช่วยบอกตำแหน่งหน่อยนะคะ กดส่งตำแหน่ง หรือพิมพ์ที่อยู่/จุดสังเกตได้เลยค่ะ"
)


def one_at_a_time(label: str) -> str:
    """Another complaint typed in the middle of the intake: it waits its turn."""
    return (
        f"ดูเหมือนเป็นอีกเรื่องหนึ่ง (“{label}”) นะคะ ขอส่งเรื่องที่กำลังแจ้งอยู่ให้เสร็จก่อน "
        "แล้วน้องจะชวนแจ้งเรื่องนี้ต่อทันทีค่ะ ตอบคำถามด้านล่างต่อได้เลยนะคะ"
    )


def next_complaint(label: str) -> str:
    """After the intake: the other complaint the citizen typed in the middle of it."""
    return f"ส่วนเรื่อง “{label}” ที่พิมพ์ไว้ระหว่างทาง จะแจ้งต่อเลยไหมคะ"


NEXT_YES = "แจ้งเรื่องนี้ต่อ"
NEXT_NO = "ไม่ต้องแล้ว"


# Asking when unsure (what the citizen may have meant).
ASK_READING = "ขอโทษค่ะ น้องไม่แน่ใจว่าหมายถึงเรื่องไหน ช่วยเลือกให้หน่อยนะคะ เพื่อส่งเรื่องถึงหน่วยงานที่ถูกต้อง"
# A message read as no complaint, with a complaint close behind ("ไฟหน้าบ้านดับ …
# ติดต่อกลับ 081…" read as a detail): a complaint the citizen may have meant.
ASK_HIDDEN_COMPLAINT = (
    "ขอโทษค่ะ น้องไม่แน่ใจว่าข้อความนี้เป็นการแจ้งปัญหาหรือเปล่า ถ้าใช่ เลือกเรื่องด้านล่างได้เลย "
    "ถ้าไม่ใช่ พิมพ์เล่าใหม่อีกครั้งนะคะ"
)
READING_SERVICE = "ถามวิธีขอรับบริการ"  # a chip: at most 20 characters
READING_OTHER: Button = {"title": "เรื่องอื่น", "payload": "/complaint_change_type"}
CHOOSE_TYPE = "เลือกประเภทเรื่องได้เลยค่ะ"
# Changing the type from the summary: the list is the question.
CHOOSE_TYPE_FROM_SUMMARY = (
    "เลือกประเภทที่ถูกต้องจากรายการด้านบนได้เลยค่ะ ถ้าประเภทเดิมถูกแล้ว กด “ไม่เปลี่ยนแล้ว” นะคะ"
)
KEEP_TYPE = "ไม่เปลี่ยนแล้ว"
# Answers to a question of the desk's that is no longer waiting (outside any form).
CHOOSE_AGAIN = "ขอให้เลือกอีกครั้งนะคะ ว่าเป็นเรื่องประเภทไหน น้องจะได้ส่งถึงหน่วยงานที่ถูกต้องค่ะ"


def started(label: str, anonymous_hint: str) -> str:
    """The complaint was understood as `label`: what happens next."""
    return (
        f"รับแจ้งเรื่อง “{label}” ค่ะ น้องจะถามอีกไม่กี่ข้อเพื่อส่งต่อให้หน่วยงานที่รับผิดชอบ "
        f"ยกเลิกได้ทุกเมื่อโดยพิมพ์ว่า ยกเลิก{anonymous_hint}"
    )


def type_changed(label: str) -> str:
    """The citizen picked another complaint type."""
    return f"เปลี่ยนเป็นเรื่อง “{label}” แล้วค่ะ"


# The questions ------------------------------------------------------------------------

ASK_DESCRIPTION = (
    "ช่วยเล่ารายละเอียดเพิ่มอีกนิดนะคะ เช่น พบปัญหาอะไร ที่ไหน ตั้งแต่เมื่อไร เจ้าหน้าที่จะได้เข้าไปดูได้ถูกจุดค่ะ"
)
ASK_LOCATION = (
    "ปัญหานี้อยู่ที่ไหนคะ 📍 กดปุ่ม “ส่งตำแหน่งปัจจุบัน” หรือพิมพ์ที่อยู่ "
    "เช่น ซอย ถนน ตำบล อำเภอ จังหวัด ถ้าไม่สะดวกกด “ข้าม” ได้ค่ะ"
)
# The address the complaint's own words gave, to confirm (or correct) in one tap.
SAID_PLACE_BUTTON: Button = {"title": "ใช่ ที่นี่", "payload": "/affirm"}


def ask_said_place(place: str) -> str:
    """Where, when the complaint already named a place."""
    return (
        f"ปัญหาอยู่ที่ “{place}” ใช่ไหมคะ 📍 ถ้าใช่กด “ใช่ ที่นี่” ถ้าไม่ใช่ พิมพ์ที่อยู่ที่ถูกต้อง หรือกดส่งตำแหน่งปัจจุบันได้เลยค่ะ"
    )


LOCATION_BUTTONS: tuple[Button, ...] = (
    {"title": "ส่งตำแหน่งปัจจุบัน", "payload": "@location"},
    # A postback (not the word as a message): tapped after the form, it is still a "no".
    {"title": "ข้าม", "payload": "/deny"},
)
ASK_DUPLICATE = (
    "มีคนแจ้งเรื่องแบบเดียวกันในบริเวณนี้ไว้แล้วค่ะ ร่วมแจ้งเรื่องนี้ (+1) "
    "เพื่อรับแจ้งความคืบหน้าไปด้วยกันไหมคะ หรือจะแจ้งเป็นเรื่องใหม่ก็ได้ค่ะ"
)
DUPLICATE_BUTTONS: tuple[Button, ...] = (
    {"title": "ร่วมแจ้ง (+1)", "payload": "/affirm"},
    {"title": "แจ้งเรื่องใหม่", "payload": "/deny"},
)
CAMERA_BUTTONS: tuple[Button, ...] = (
    {"title": "ถ่ายรูป", "payload": "@camera"},
    {"title": "เลือกจากอัลบั้ม", "payload": "@cameraRoll"},
)
PHOTOS_DONE_BUTTON: Button = {"title": "เสร็จแล้ว", "payload": "/complaint_photos_done"}
NO_PHOTOS_BUTTON: Button = {"title": "ไม่มีรูป", "payload": "/complaint_photos_done"}


def ask_photos(limit: int) -> str:
    """The photo question, before any photo."""
    return f"มีรูปถ่ายไหมคะ 📷 ส่งได้สูงสุด {limit} รูป ถ้าไม่มีกด “ไม่มีรูป” ได้เลยค่ะ"


def ask_more_photos(got: int, limit: int) -> str:
    """The photo question again, after a photo: how many more."""
    return f"ได้รับรูปที่ {got} แล้วค่ะ ส่งเพิ่มได้อีก {limit - got} รูป หรือกด “เสร็จแล้ว”"


ASK_PHONE = "ขอเบอร์โทรสำหรับให้เจ้าหน้าที่ติดต่อกลับได้ไหมคะ (ไม่บังคับ) พิมพ์เบอร์มาได้เลย หรือกด “ข้าม” ค่ะ"
SKIP_BUTTON: Button = {"title": "ข้าม", "payload": "/deny"}
SAID_PHONE_BUTTON: Button = {"title": "ใช่ เบอร์นี้", "payload": "/affirm"}


def ask_said_phone(number: str) -> str:
    """The phone question, when the complaint's words gave a number."""
    return (
        f"ให้เจ้าหน้าที่ติดต่อกลับที่เบอร์ {number} ใช่ไหมคะ 📞 ถ้าใช่กด “ใช่ เบอร์นี้” "
        "ถ้าไม่ใช่ พิมพ์เบอร์ที่ต้องการ หรือกด “ข้าม” ค่ะ"
    )


# Consent for most complaints; anonymity for corruption reports.
ASK_CONSENT = (
    "ยินยอมให้ส่งชื่อ LINE และเบอร์โทรของคุณให้หน่วยงานที่รับเรื่องไหมคะ "
    "เพื่อให้เจ้าหน้าที่ติดต่อกลับได้ ถ้าไม่ยินยอม หน่วยงานจะเห็นเฉพาะรายละเอียดปัญหาค่ะ"
)
CONSENT_BUTTONS: tuple[Button, ...] = (
    {"title": "ยินยอม", "payload": "/affirm"},
    {"title": "ไม่ยินยอม", "payload": "/deny"},
)
ASK_ANONYMITY = (
    "ต้องการแจ้งแบบไม่เปิดเผยตัวตนไหมคะ ถ้าไม่เปิดเผย หน่วยงานจะไม่เห็นชื่อ LINE "
    "และเบอร์โทรของคุณเลย แต่คุณยังติดตามเรื่องในแชตนี้ได้ตามปกติค่ะ"
)
ANONYMITY_BUTTONS: tuple[Button, ...] = (
    {"title": "ไม่เปิดเผยตัวตน", "payload": "/deny"},
    {"title": "เปิดเผยตัวตนได้", "payload": "/affirm"},
)
ASK_EDIT = "ต้องการแก้ไขข้อไหนคะ"
# What the summary's "edit" offers, in this order; then "no more edits".
EDIT_CHOICES: tuple[tuple[str, str], ...] = (
    ("ประเภทเรื่อง", TYPE),
    ("รายละเอียด", DESCRIPTION),
    ("สถานที่", LOCATION),
    ("รูปภาพ", PHOTOS),
    ("เบอร์ติดต่อ", PHONE),
    ("การเปิดเผยข้อมูล", CONSENT),
)
NO_MORE_EDITS = "ไม่แก้แล้ว"

# Answers the form cannot take ---------------------------------------------------------

DESCRIPTION_AS_TEXT = "รบกวนพิมพ์เล่าเป็นข้อความนะคะ ว่าพบปัญหาอะไร ที่ไหน ตั้งแต่เมื่อไร"
LOCATION_UNREADABLE = "ขออภัยค่ะ น้องอ่านตำแหน่งนี้ไม่ได้"
LOCATION_ABROAD = "ตำแหน่งนี้อยู่นอกประเทศไทยค่ะ น้องรับแจ้งเฉพาะปัญหาในประเทศไทยนะคะ"
LOCATION_UNKNOWN = (
    "ขออภัยค่ะ น้องยังไม่ทราบว่าปัญหาอยู่ที่ไหน รบกวนบอกชื่อถนน ซอย "
    "ตำบลหรือแขวง อำเภอหรือเขต หรือสถานที่ใกล้เคียง "
    "หรือกดปุ่มส่งตำแหน่งด้านล่างได้เลยค่ะ"
)
LOCATION_EXPECTED = "ขออภัยค่ะ ขั้นนี้ขอเป็นตำแหน่งหรือที่อยู่นะคะ"
PHOTO_UNREADABLE = "ขออภัยค่ะ น้องเปิดรูปนี้ไม่ได้"
WORDS_ADDED_TO_DESCRIPTION = "เพิ่มในรายละเอียดให้แล้วค่ะ"
PHONE_INVALID = "ขออภัยค่ะ เบอร์นี้ดูไม่ถูกต้อง เบอร์มือถือมี 10 หลัก เช่น 081 234 5678"


def coordinates(latitude: float, longitude: float) -> str:
    """The address of a LINE location that came without one."""
    return f"พิกัด {latitude:.5f}, {longitude:.5f}"


def photos_full(limit: int) -> str:
    """The last photo the form takes."""
    return f"ได้รับรูปครบ {limit} รูปแล้วค่ะ"


# The end of the form ------------------------------------------------------------------

CANCELLED = "ยกเลิกการแจ้งเรื่องนี้แล้วค่ะ หากต้องการแจ้งใหม่ พิมพ์เล่ามาได้เลยนะคะ"
FOLLOW_PROGRESS = "ดูความคืบหน้า"
SEE_STATUS = "ดูสถานะ"


def joined(ticket_id: str) -> str:
    """The citizen joined a similar open ticket instead of filing a new one."""
    return f"ร่วมแจ้งเรื่อง {ticket_id} เรียบร้อยแล้วค่ะ 🙏 เมื่อเรื่องมีความคืบหน้า น้องจะแจ้งให้ทราบในแชตนี้ค่ะ"


def filed(ticket_id: str, agency_name: str, due: str) -> str:
    """The ticket was filed: its number, who handles it, and by when."""
    return (
        f"ส่งเรื่องเรียบร้อยแล้วค่ะ ✅\nเลขที่เรื่อง: {ticket_id}\n"
        f"หน่วยงานที่รับผิดชอบ: {agency_name}\n"
        f"กำหนดดำเนินการภายใน: {due}\n"
        "เมื่อมีความคืบหน้า น้องจะแจ้งในแชตนี้ หรือพิมพ์เลขที่เรื่องเพื่อติดตามได้ทุกเมื่อค่ะ"
    )


# After the form -----------------------------------------------------------------------

MY_TICKETS_BUTTON: Button = {"title": "เรื่องทั้งหมดของฉัน", "payload": "/check_status"}
NO_TICKETS = "ยังไม่มีเรื่องที่คุณแจ้งไว้ในแชตนี้ค่ะ หากพบปัญหา พิมพ์เล่ามาได้เลย น้องจะช่วยส่งเรื่องให้ค่ะ"


def unknown_ticket(ticket_id: str | None) -> str:
    """No such ticket among the citizen's own (another's answers exactly the same)."""
    return (
        f"ไม่พบเรื่องเลขที่ {ticket_id} ในเรื่องที่คุณแจ้งไว้ค่ะ รบกวนตรวจสอบเลขที่เรื่องอีกครั้ง "
        "(ขึ้นต้นด้วย DS- ตามด้วยตัวอักษรและตัวเลข 8 ตัว) หรือกดดูเรื่องทั้งหมดของคุณได้ค่ะ"
    )


RATING_BUTTON_STALE = "ขออภัยค่ะ ปุ่มนี้ใช้ไม่ได้แล้ว"
RATING_NOT_NOW = "ขออภัยค่ะ เรื่องนี้ยังให้คะแนนไม่ได้ในตอนนี้"
COMMENT_RECEIVED = "ได้รับความคิดเห็นแล้วค่ะ น้องจะส่งต่อให้หน่วยงานนะคะ ขอบคุณมากค่ะ"
NO_COMMENT = "ขอบคุณค่ะ หากพบปัญหาอื่นอีก แจ้งน้องได้ตลอดนะคะ"


def rated(rating: int) -> str:
    """Thanks for a rating."""
    return f"ขอบคุณสำหรับคะแนน {rating} จาก 5 ค่ะ 🙏"


# The ticket's event note when the citizen reopens it.
REOPEN_NOTE = "ผู้แจ้งแจ้งว่าปัญหายังไม่ได้รับการแก้ไข"
REOPEN_UNKNOWN = "ขออภัยค่ะ ไม่พบเรื่องนี้ในเรื่องที่คุณแจ้งไว้"


def reopened(ticket_id: str) -> str:
    """The ticket is back with the agency."""
    return (
        f"รับทราบค่ะ เปิดเรื่อง {ticket_id} อีกครั้งแล้ว และแจ้งหน่วยงานให้ดำเนินการต่อ "
        "น้องจะแจ้งความคืบหน้าในแชตนี้นะคะ"
    )


def reopen_closed(ticket_id: str) -> str:
    """Too late to reopen: report it again."""
    return f"เรื่อง {ticket_id} ปิดไปแล้วค่ะ หากปัญหายังอยู่ พิมพ์เล่ามาใหม่ได้เลย น้องจะช่วยแจ้งเป็นเรื่องใหม่ให้ค่ะ"


def reopen_still_open(ticket_id: str, status_label: str) -> str:
    """Nothing to reopen: the ticket is still being worked on."""
    return f"เรื่อง {ticket_id} ยังอยู่ระหว่างดำเนินการค่ะ ({status_label})"
