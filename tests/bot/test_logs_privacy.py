"""PDPA: what citizens write — names, phone numbers, national ID numbers, their words —
never reaches any process's log, through the whole desk (gateway, worker, Rasa, action
server, LINE stand-in), a complaint filed included."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat, said
from tests.support.stack import LOGS, Desk, user_id

pytestmark = pytest.mark.stack

NAME = "สมศรีทดสอบ ใจดีเลิศล้ำ"
PHONE = "0897651234"
NATIONAL_ID = "3100701234563"
WORDS = "น้ำท่วมขังหน้าบ้านเลขที่สี่สิบเจ็ดมาสามวันแล้ว"


def test_no_log_of_any_process_holds_what_a_citizen_wrote(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    desk.send(chat.user, None, event="follow", displayName=NAME[:20])
    desk.wait_delivered(chat.user, 1)
    said(chat.say(f"ผม {NAME} บัตรประชาชน {NATIONAL_ID} โทร {PHONE} แจ้งว่า{WORDS}"))
    said(chat.say("หน้าตลาดสดเทศบาล อำเภอเมืองเชียงใหม่"))
    said(chat.tap("/complaint_photos_done"))
    said(chat.say(PHONE))
    said(chat.say(f"ชื่อ {NAME} เลขบัตร {NATIONAL_ID}"))
    said(chat.say("ขอคุยกับเจ้าหน้าที่"))
    # Each turn above returned once handled: every process has logged what it had to.
    leaks = {}
    for log in LOGS.glob("*.log"):
        text = log.read_text(errors="replace")
        found = [s for s in (NAME, NAME.split()[0], PHONE, NATIONAL_ID, WORDS) if s in text]
        if found:
            leaks[log.name] = found
    assert leaks == {}
