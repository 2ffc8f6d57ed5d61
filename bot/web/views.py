"""GET /static/{area}/{name}: the static files of every area of the web pages, one route.

Which files exist is read from the areas' static/ folders when the router is made (at
start, bot.main), so no path from a URL reaches the disk. Every file is revalidated on
use (no-cache: a deploy shows at once) and never sniffed. In production the simulator's
files are not served, as its router is not mounted there.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from bot.web.areas import static_files

HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def static_router(*, development: bool) -> APIRouter:
    """The route serving every area's static files; the simulator's only in development."""
    files = static_files(development=development)
    router = APIRouter(include_in_schema=False)

    @router.get("/static/{area}/{name:path}")
    async def static_file(area: str, name: str) -> FileResponse:
        """One file of an area's static folder; 404 for any other name."""
        found = files.get((area, name))
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        return FileResponse(found.path, media_type=found.media_type, headers=HEADERS)

    return router
