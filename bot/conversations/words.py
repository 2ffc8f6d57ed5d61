"""Words citizens type for the desk's controls, read the same way by the worker (the
steps the gateway runs: waiting for a person, leaving a message) and by the actions
(Rasa's steps): "ยกเลิก" and its everyday variants end whatever the desk is waiting for.

Matched on the whole message, loosely (spaces, punctuation and closing particles aside):
"ยกเลิกค่ะ", "ไม่เอาแล้วครับ", "พอแล้วค่ะ", "cancel". A longer message that only starts
with such a word ("ยกเลิกเรื่อง DS-… ที่แจ้งไป") is something else, for the NLU to read.
"""

from __future__ import annotations

import re

_PARTICLES = re.compile(r"(ค่ะ|คะ|ครับ|คับ|จ้ะ|จ้า|นะ|น่ะ|ค่า+|ฮะ|เลย|ด้วย)+$")
_SPACE = re.compile(r"[\s\u200b.!,?~]+")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# "ยกเลิก" (the waiting, the report, leaving a message), "cancel", and "not any more"
# phrasings; "ไม่เอา" or "พอ" alone are answers ("no", "enough photos"), not a cancel.
_CANCEL = re.compile(
    r"^(ยกเลิก(การ(รอ(เจ้าหน้าที่)?|แจ้ง(เรื่อง)?|ฝากข้อความ|ลบ(ข้อมูล)?))?(แล้ว)?"
    r"|cancel|stop|เลิก(แล้ว)?"
    r"|(ไม่เอา|ไม่ต้อง|ไม่รอ|ไม่แจ้ง|ไม่ฝาก(ข้อความ)?|ไม่ลบ|พอ)(แล้ว|ก่อน)"
    r")(ก่อน|ดีกว่า|ละ|ล่ะ)?$"
)


def plain(text: str) -> str:
    """Text compared loosely: no spaces or punctuation, no closing particles."""
    squeezed = _SPACE.sub("", text.translate(_THAI_DIGITS)).lower()
    return _PARTICLES.sub("", squeezed) or squeezed


def is_cancel(text: str | None) -> bool:
    """Whether the whole message asks to stop what the desk is waiting for."""
    if not text or len(text) > 60:
        return False
    return bool(_CANCEL.match(plain(text)))
