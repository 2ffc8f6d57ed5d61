"""The public catalogue: GET /services (a page citizens can search) and its JSON API.

The catalogue is the process context's (bot.context), loaded once at start. The page's
CSS and JS are bot/catalogue/static, served by bot.web.views.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from bot.catalogue.cards import bangkok_today, provenance, tel_uri, thai_date
from bot.catalogue.schemas import AgencyMatch, Match, Service
from bot.deps import CatalogueDep
from bot.web import pages as web

# Nothing from elsewhere, no inline script: a service text that slipped past escaping
# still could not run script.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
MAX_QUERY = 200
PAGE_RESULTS = 8


def _tel(hotline: str) -> str:
    return tel_uri(hotline) or ""


# The filters the page's templates use (bot.web.pages keeps them in the one environment).
FILTERS: web.Filters = {"thai_date": thai_date, "tel": _tel}


QueryText = Annotated[str, Query(min_length=1, max_length=MAX_QUERY)]
Limit = Annotated[int, Query(ge=1, le=20)]

router = APIRouter(tags=["catalogue"])


@router.get("/services", response_class=HTMLResponse, summary="The service catalogue page")
def services_page(
    request: Request,
    catalogue: CatalogueDep,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
) -> HTMLResponse:
    """Every service by category; with ?q= the ranked results first (works without JS)."""
    query = q.strip()
    matches = catalogue.search(query=query, limit=PAGE_RESULTS) if query else []
    agencies = {a.id: a for a in catalogue.agencies}
    today = bangkok_today()
    base = request.scope.get("root_path", "").rstrip("/")
    values = {
        "root": base,
        "base": base,
        "query": query,
        "matches": matches,
        "services": {s.id: s for s in catalogue.services},
        "categories": catalogue.by_category(),
        "agencies": agencies,
        "today": today,
        "provenance": lambda s: provenance(s, agencies.get(s.agency), today=today),
    }
    return web.page("catalogue/services.html", values, headers=PAGE_HEADERS, filters=FILTERS)


@router.get("/api/services", summary="Every service")
def list_services(catalogue: CatalogueDep) -> list[Service]:
    """The whole catalogue, category by category."""
    return catalogue.services


@router.get("/api/services/search", summary="Services ranked for a question")
def search_services(catalogue: CatalogueDep, q: QueryText, limit: Limit = 5) -> list[Match]:
    """Ranked matches with their score and 0..1 confidence (`confident` above threshold)."""
    return catalogue.search(query=q, limit=limit)


@router.get("/api/services/{service_id}", summary="One service")
def get_service(service_id: str, catalogue: CatalogueDep) -> Service:
    """One service by id; 404 when unknown."""
    service = catalogue.get(service_id)
    if service is None:
        raise HTTPException(status_code=404, detail="no such service")
    return service


@router.get("/api/agencies/search", summary="Agencies ranked for a name or question")
def search_agencies(catalogue: CatalogueDep, q: QueryText, limit: Limit = 3) -> list[AgencyMatch]:
    """The agency directory: "how do I contact X"."""
    return catalogue.search_agencies(query=q, limit=limit)
