"""The staff API's description: /api/docs outside production, and /console/api-docs for
signed-in staff in any environment.

In production the public /api/docs and /api/openapi.json are off; staff read the same
description behind the console's sign-in. Swagger UI's files are served by the desk from
the fastapi-offline package (Swagger UI 5, which reads OpenAPI 3.1), so both pages work
on a network without internet (no CDN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from bot.console import auth as console_auth

router = APIRouter(include_in_schema=False)
PATH = f"{console_auth.PATH}/api-docs"
ASSETS = "/api/docs/assets"
# Swagger UI's own files (fixed names only), from the pinned fastapi-offline package.
ASSET_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}


def swagger_page(openapi_url: str) -> HTMLResponse:
    """Swagger UI over `openapi_url`, with its files from this desk."""
    return get_swagger_ui_html(
        openapi_url=openapi_url,
        title="Desk API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )


@router.get(f"{ASSETS}/{{name}}")
async def asset(name: str) -> Response:
    """One of Swagger UI's files."""
    media_type = ASSET_TYPES.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return FileResponse(
        ASSET_DIR / name,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


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
    return swagger_page(f"{PATH}/openapi.json")
