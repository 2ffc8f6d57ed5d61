"""The admins' NLU page in the console: GET /console/nlu (inbox, examples, retraining,
model registry) and its static files.

The page is a shell (Jinja2, autoescaped); nlu.js talks to the JSON API of
bot/teaching/admin_views.py with the console's session cookie and CSRF header, and builds
every piece of citizen text into the page as text, never as HTML.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.console import auth as console_auth
from bot.console.auth import page_context, staff_page_headers

router = APIRouter(include_in_schema=False)

HERE = Path(__file__).resolve().parent
# Only these files are served: fixed names, so no path from the URL reaches the disk.
STATIC_FILES = {
    "nlu.css": "text/css; charset=utf-8",
    "nlu.js": "text/javascript; charset=utf-8",
}
# No inline script or style and nothing from elsewhere: citizen text that slipped past
# the page's text-only DOM code still could not run.
PAGE_HEADERS = staff_page_headers(
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
FORBIDDEN_TH = "หน้านี้สำหรับผู้ดูแลระบบ (admin) เท่านั้น"


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )


def render(*, context: dict[str, Any], forbidden: bool = False) -> str:
    """The page (`context` is the console's page context); forbidden: the refusal only."""
    values = {**context, "forbidden": forbidden, "forbidden_th": FORBIDDEN_TH}
    return _templates().get_template("nlu.html").render(values)


@router.get("/console/nlu/static/{name}")
async def static_file(name: str) -> Response:
    """The page's own CSS and JS (fixed names only)."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    body = (HERE / "static" / name).read_bytes()
    return Response(
        body,
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/console/nlu", response_class=HTMLResponse)
async def nlu_page(request: Request) -> Response:
    """The NLU page for admins (log-in when signed out, a Thai 403 page for other staff)."""
    staff = await run_in_threadpool(console_auth.page_staff, request)
    if staff is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)
    context = page_context(request, staff)
    # AdminDep's rule, checked here so that a signed-out visitor is redirected (above)
    # and other staff get a page rather than JSON.
    if staff.role != "admin":
        html = render(context=context, forbidden=True)
        return HTMLResponse(html, status_code=status.HTTP_403_FORBIDDEN, headers=PAGE_HEADERS)
    return HTMLResponse(render(context=context), headers=PAGE_HEADERS)
