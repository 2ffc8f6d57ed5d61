"""The admins' NLU page in the console: GET /console/nlu (inbox, examples, retraining,
model registry); its static files are bot/teaching/static, served by bot.web.views.

The page is a shell (bot.web's templates, autoescaped); nlu.js talks to the JSON API of
bot/teaching/admin_views.py with the console's session cookie and CSRF header, and builds
every piece of citizen text into the page as text, never as HTML.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.console import auth as console_auth
from bot.console.auth import page_context, staff_page_headers
from bot.web import pages as web

router = APIRouter(include_in_schema=False)

# No inline script or style and nothing from elsewhere: citizen text that slipped past
# the page's text-only DOM code still could not run.
PAGE_HEADERS = staff_page_headers(
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
FORBIDDEN_TH = "หน้านี้สำหรับผู้ดูแลระบบ (admin) เท่านั้น"


@router.get("/console/nlu", response_class=HTMLResponse)
async def nlu_page(request: Request) -> Response:
    """The NLU page for admins (log-in when signed out, a Thai 403 page for other staff)."""
    staff = await run_in_threadpool(console_auth.page_staff, request)
    if staff is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)
    # AdminDep's rule, checked here so that a signed-out visitor is redirected (above)
    # and other staff get a page (the refusal only) rather than JSON.
    forbidden = staff.role != "admin"
    values = {**page_context(request, staff), "forbidden": forbidden, "forbidden_th": FORBIDDEN_TH}
    code = status.HTTP_403_FORBIDDEN if forbidden else status.HTTP_200_OK
    return web.page("teaching/nlu.html", values, headers=PAGE_HEADERS, status_code=code)
