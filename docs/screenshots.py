"""`.venv/bin/python docs/screenshots.py`: the screenshots of docs/tickets.md, taken in
Debian's Chromium from the gateway (uvicorn, a throw-away SQLite database, the local
Redis) with a few made-up tickets, at 1280×800 as an officer's laptop shows them."""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from bot.chromium import CHROMIUM, CHROMIUM_ARGS
from bot.console.auth import COOKIE
from bot.db import make_engine, make_sessionmaker, migrate
from bot.dev.stack import free_port, local_settings
from bot.main import create_app
from bot.staff import auth
from bot.tickets import service
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.routing import Router

OUT = Path(__file__).resolve().parent / "img"
REPORTS = [
    ("complaint_road", "ถนนหน้าโรงเรียนเป็นหลุมลึก รถจักรยานยนต์ล้มไปสองคันแล้วค่ะ", "หน้าโรงเรียนวัดสุทธิ"),
    ("complaint_streetlight", "ไฟทางในซอยดับมาหนึ่งสัปดาห์ ตอนกลางคืนมืดมาก", "ซอยเจริญกรุง 32"),
    ("complaint_garbage", "ขยะกองริมคลองไม่มีคนมาเก็บ ส่งกลิ่นเหม็นมาก", "ริมคลองผดุงกรุงเกษม"),
    ("complaint_flooding", "ฝนตกทีไรน้ำท่วมขังหน้าตลาด ท่อระบายน้ำอุดตัน", "ตลาดบางรัก"),
    ("complaint_tree", "กิ่งไม้ใหญ่หักพาดสายไฟ กลัวจะล้มทับคนเดิน", "ถนนสี่พระยา"),
    ("complaint_road", "ทางเท้าพังเป็นแอ่ง ผู้สูงอายุเดินสะดุดบ่อย", "ถนนสุรวงศ์"),
]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/desk.db"
        migrate(url)
        settings = local_settings(
            url,
            "redis://127.0.0.1:6379/0",
            f"shots-{uuid.uuid4().hex[:6]}:",
            office_always_open=True,
        )
        sessions = make_sessionmaker(make_engine(url))
        router, calendar = Router.load(), BusinessCalendar.load()
        with sessions.begin() as session:
            officer = auth.create_staff(
                session,
                username="somsri",
                password="screenshot-password",
                role="supervisor",
                agency_id="bma",
                display_name="สมศรี ใจดี",
            )
            token, _ = auth.issue_token(session, officer.id, timedelta(hours=1))
            filed = []
            for n, (kind, text, place) in enumerate(REPORTS):
                ticket, _ = service.create_ticket(
                    session,
                    service.Intake(
                        intake_key=f"shot-{n}",
                        line_user_id=f"Ushot{n:028d}",
                        complaint_type=kind,
                        description=text,
                        province="กรุงเทพมหานคร",
                        district="บางรัก",
                        latitude=13.7262 + n * 0.002,
                        longitude=100.5234,
                        address=place,
                    ),
                    router=router,
                    calendar=calendar,
                )
                filed.append(ticket.id)
            first = session.get(service.Ticket, filed[0])
            assert first is not None
            service.transition(
                session,
                first,
                "in_progress",
                actor="staff",
                staff_id=officer.id,
                note="เจ้าหน้าที่ลงพื้นที่ตรวจสอบแล้วค่ะ",
            )
            service.assign(session, first, officer.id, staff_id=officer.id)
            service.add_note(
                session, first, staff_id=officer.id, body="ประสานฝ่ายโยธาแล้ว นัดซ่อมวันพฤหัส"
            )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/console/login").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_context(
                viewport={"width": 1280, "height": 800}, locale="th-TH"
            ).new_page()
            page.context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
            page.goto(f"{base}/console/tickets?status=received&status=in_progress")
            page.screenshot(path=OUT / "workbench-list.png", full_page=True)
            page.goto(f"{base}/console/tickets/{filed[0]}")
            page.screenshot(path=OUT / "workbench-ticket.png", full_page=True)
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
