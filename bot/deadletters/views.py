"""Dead letters for admins: GET /console/dead-letters (a page), its retry form, and the
same as JSON under /console/api/dead-letters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from bot import queue
from bot.console import auth as console_auth
from bot.console.auth import AdminDep, page_context, staff_page_headers
from bot.deadletters import service
from bot.deps import ContextDep
from bot.errors import NotFound
from bot.staff import auth
from bot.web import pages as web

router = APIRouter(include_in_schema=False)

PAGE_HEADERS = staff_page_headers(
    "default-src 'none'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
EVENT_TH = {
    "message": "ข้อความ",
    "postback": "กดปุ่ม",
    "follow": "เพิ่มเพื่อน",
    "join": "เข้ากลุ่ม",
}


def _retry(session: Session, staff: auth.StaffUser, event_id: int) -> bool:
    """An admin sends a dead letter back to the queue (audited); False when it is not one.
    Stored first: if Redis is down after the commit, the sweeper enqueues it ("received")."""
    key = service.retry(session, event_id)
    if key is None:
        return False
    auth.audit(session, staff, "dead_letter_retry", str(event_id))
    queue.after_commit(session, [(key, event_id)])
    return True


@router.get("/console/dead-letters", response_class=HTMLResponse)
async def page(
    request: Request, context: ContextDep, retried: int | None = None, gone: int | None = None
) -> Response:
    """The dead letters (admins; log-in when signed out, a Thai 403 page for other staff)."""
    staff = await run_in_threadpool(console_auth.page_staff, request)
    if staff is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)
    shown = page_context(request, staff)
    name = "deadletters/dead_letters.html"
    if staff.role != "admin":
        return web.page(
            name,
            {**shown, "forbidden": True},
            headers=PAGE_HEADERS,
            status_code=status.HTTP_403_FORBIDDEN,
        )
    letters = await context.read(service.list_recent)
    values = {**shown, "letters": letters, "event_th": EVENT_TH, "retried": retried, "gone": gone}
    return web.page(name, values, headers=PAGE_HEADERS)


@router.post("/console/dead-letters/{event_id}/retry")
async def retry_form(
    request: Request, context: ContextDep, event_id: int, csrf: str = Form("")
) -> Response:
    """The page's retry button (a plain form: its CSRF token comes in the form)."""
    staff = await run_in_threadpool(console_auth.page_staff, request)
    if staff is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)
    if staff.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    if not console_auth.form_csrf_ok(request, csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF check failed")
    done = await context.transaction(lambda s: _retry(s, staff, event_id))
    flag = "retried" if done else "gone"
    return RedirectResponse(
        f"{console_auth.PATH}/dead-letters?{flag}={event_id}", status.HTTP_303_SEE_OTHER
    )


@router.get("/console/api/dead-letters")
async def list_api(context: ContextDep, staff: AdminDep) -> dict[str, Any]:
    """The dead letters as JSON (admins)."""
    letters = await context.read(service.list_recent)
    return {"dead_letters": [letter.__dict__ for letter in letters]}


@router.post("/console/api/dead-letters/{event_id}/retry")
async def retry_api(context: ContextDep, staff: AdminDep, event_id: int) -> dict[str, Any]:
    """Sends a dead letter back to the queue (admins); 404 when it is not one."""
    if not await context.transaction(lambda s: _retry(s, staff, event_id)):
        raise NotFound("no such dead letter")
    return {"id": event_id, "status": "received"}
