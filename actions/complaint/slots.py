"""Slot names of the complaint intake, and the words the form reads as controls."""

from __future__ import annotations

import re

FORM = "complaint_form"
REQUESTED = "requested_slot"  # Rasa's: the question the form asked last

# Slots the form fills, in the order it asks (answers.questions decides which are asked).
DESCRIPTION = "complaint_description"
LOCATION = "complaint_location"
DUPLICATE = "complaint_duplicate"
PHOTOS = "complaint_photos"
PHONE = "complaint_phone"
CONSENT = "complaint_consent"
OUTCOME = "complaint_outcome"
# Slots set alongside.
TYPE = "complaint_type"
INTAKE = "complaint_intake_id"
PROVINCE_SLOT = "complaint_province"
DISTRICT_SLOT = "complaint_district"
LATITUDE = "complaint_latitude"
LONGITUDE = "complaint_longitude"
ADDRESS = "complaint_address"
PHOTO_IDS = "complaint_photo_ids"
DUPLICATE_OF = "complaint_duplicate_of"
EDITING = "complaint_editing"
FIRST = "complaint_first_words"
# The address the complaint's own words gave: offered ("อยู่ที่ … ใช่ไหมคะ") when the form
# asks where, so a citizen who wrote it is not asked to write it again.
SAID_PLACE = "complaint_said_place"
# The same for a phone number in the complaint's words ("ติดต่อกลับ 081…"): offered when
# the form asks for one (it may be a shop's or an official's number, so never just used).
SAID_PHONE = "complaint_said_phone"
# What the citizen is changing (EDITING): "choose" (the summary's list of what to edit),
# "type" (the type list, at an early question), SUMMARY_TYPE (the type, from the
# summary: the list is that question until a type is chosen or kept).
SUMMARY_TYPE = "summary_type"
# Asking when unsure: the citizen's words while they choose what they meant, and the
# model's reading they were asked about (a different choice becomes an NLU label).
ASKED_TEXT = "complaint_asked_text"
ASKED_FROM = "complaint_asked_from"
# A place or photos shared before the complaint was told: used when it is.
PENDING_PLACE = "complaint_pending_place"
PENDING_PHOTOS = "complaint_pending_photos"
# Another complaint typed in the middle of the intake: offered once this one is done.
NEXT_TEXT = "complaint_next_text"
NEXT_TYPE = "complaint_next_type"
# How sure NLU must be that a message in the middle of the intake is another complaint
# (the questions after the description expect a place, photos, a number, yes or no).
NEW_COMPLAINT_CONFIDENCE = 0.8

INTAKE_SLOTS = (
    DESCRIPTION,
    LOCATION,
    DUPLICATE,
    PHOTOS,
    PHONE,
    CONSENT,
    OUTCOME,
    TYPE,
    INTAKE,
    PROVINCE_SLOT,
    DISTRICT_SLOT,
    LATITUDE,
    LONGITUDE,
    ADDRESS,
    PHOTO_IDS,
    DUPLICATE_OF,
    EDITING,
    FIRST,
    SAID_PLACE,
    SAID_PHONE,
)

# Outcomes that end the form: nothing more is asked.
FINAL_OUTCOMES = frozenset({"confirmed", "cancelled", "joined", "handoff"})

# The rating form (after a resolved ticket).
RATING_TICKET = "rating_ticket_id"
RATING_COMMENT = "rating_comment"

SKIP = "-"  # the value of a question the citizen skipped
# How sure NLU must be that a typed message asks for a person before the intake stops
# (anything less is read as the answer to the current question).
HANDOFF_CONFIDENCE = 0.6
# Thailand's bounding box (with a margin): a LINE location outside it is not ours.
THAILAND = (5.3, 20.8, 97.0, 106.0)

SKIP_WORDS = re.compile(
    r"^(ข้าม|ไม่มี|ไม่ระบุ|ไม่สะดวก|ไม่ต้อง|ไม่ให้|ไม่|skip|no|-)\s*(ค่ะ|คะ|ครับ|จ้า|จ้ะ|นะ)?$", re.I
)
# Words (and house numbers) that place a typed answer on a map: without one of these or a
# place the gazetteer knows, the answer is not a location ("ค่ะ", "5555", "ไม่รู้สิ").
PLACE_WORDS = re.compile(
    r"ถนน|ถ\.|ซอย|ซ\.|ตรอก|หมู่|ม\.\s*\d|ตำบล|ต\.|แขวง|เขต|อำเภอ|อ\.|จังหวัด|จ\.|"
    r"หมู่บ้าน|ชุมชน|บ้านเลขที่|เลขที่|\d+/\d+|ตลาด|หน้า|ข้าง|ใกล้|ตรง|แยก|สี่แยก|สามแยก|"
    r"สะพาน|โรงเรียน|วัด|โรงพยาบาล|รพ\.|ปากซอย|ท้าย|คอนโด|อาคาร|ตึก|ห้าง|สถานี|ป้าย|"
    r"คลอง|ริม|ทางเข้า|กม\.|กิโล|หลัง|ฝั่ง|บริเวณ|แถว|road|soi|street|rd\.?\b",
    re.I,
)
DONE_WORDS = re.compile(
    r"^(เสร็จ|เสร็จแล้ว|ครบแล้ว|พอแล้ว|แค่นี้|ไม่มีแล้ว|หมดแล้ว|done|ok|โอเค)\s*(ค่ะ|คะ|ครับ|จ้า)?$", re.I
)
YES_WORDS = re.compile(r"^(ใช่|ได้|ยินยอม|ตกลง|โอเค|ok|yes|ยืนยัน|ถูกต้อง|ส่งเลย|เอา)", re.I)
NOT_THERE_WORDS = re.compile(r"^(ไม่ใช่|ผิด|no\b|ไม่ถูก)", re.I)
NO_WORDS = re.compile(r"^(ไม่|no|ปฏิเสธ|ไม่ยินยอม|ไม่เอา|ไม่ต้อง)", re.I)
# "ยกเลิก…" at the start of an answer stops the intake (bot.conversations.words also
# reads the everyday variants said whole: "ไม่เอาแล้ว", "พอแล้วค่ะ").
CANCEL_WORDS = re.compile(r"^(ยกเลิก|cancel|ไม่แจ้งแล้ว|เลิก)", re.I)
EDIT_WORD = "แก้"  # "แก้ไข", "แก้ที่อยู่": the summary's "edit" typed
