"""Every Thai sentence the simulator's server side says to the developer at the page."""

BOT_NAME = "ศูนย์บริการประชาชน"

STANDIN_UNREACHABLE = (
    "ติดต่อ LINE stand-in ที่ {url} ไม่ได้ — เปิดด้วยคำสั่ง `python -m bot.dev.standin` แล้วลองอีกครั้ง"
)
STANDIN_FAILED = "LINE stand-in ขัดข้อง (ตอบกลับสถานะ {status}) — ดู log ของ stand-in"
STANDIN_REFUSED = "LINE stand-in ไม่รับคำขอนี้ (สถานะ {status})"
STANDIN_BAD_ANSWER = "LINE stand-in ตอบกลับในรูปแบบที่อ่านไม่ได้"
