"""The staff API's description for signed-in staff: /console/api-docs (any environment).

In production the public /api/docs and /api/openapi.json are off; staff read the same
description here, behind the console's sign-in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.console import auth as console_auth

router = APIRouter(include_in_schema=False)
PATH = f"{console_auth.PATH}/api-docs"


@router.get(f"{PATH}/openapi.json")
async def openapi(request: Request) -> dict[str, Any]:
    """The OpenAPI description of the desk's API (signed-in staff)."""
    if await run_in_threadpool(console_auth.page_staff, request) is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not signed in")
    app = request.app
    return get_openapi(title=app.title, version=app.version, routes=app.routes)


@router.get(PATH, response_class=HTMLResponse)
async def docs(request: Request) -> Response:
    """Swagger UI over that description (signed-in staff)."""
    if await run_in_threadpool(console_auth.page_staff, request) is None:
        return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)
    return get_swagger_ui_html(openapi_url=f"{PATH}/openapi.json", title="Desk API")
