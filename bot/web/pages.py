"""The one template environment of the desk's web pages, and the helper that renders a
page into a response with its security headers.

Templates are found by area (bot.web.areas): "console/login.html" is
bot/console/templates/login.html, one PrefixLoader over every area's templates/ folder,
so two areas may both have a "page.html" and an include names its area. Every page
extends "web/base.html" (bot/web/templates/base.html). Autoescaping is always on.

Static files are linked with {{ static("console", "console.js") }}: /static/console/...
below the page's `root` (the app's root path, for the pages that honour it), and an
unknown file fails the render rather than a browser later.

Filters an area's templates need ({{ day | thai_date }}) are given by the page that
renders them (`filters=`) and kept in the environment from then on: bot.web cannot import
them from the areas, which import bot.web (import-linter: no cycles between packages).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, PrefixLoader, pass_context
from jinja2.runtime import Context

from bot.web.areas import AREAS, static_files

Filters = Mapping[str, Callable[..., Any]]


@pass_context
def static_url(context: Context, area: str, name: str) -> str:
    """The address of one of an area's static files, below the page's `root`."""
    if (area, name) not in static_files(development=True):
        raise LookupError(f"no static file {area}/{name}")
    return f"{context.get('root', '')}/static/{area}/{name}"


def has_static(area: str, name: str) -> bool:
    """Whether the desk can serve this static file (a vendor library may not be installed)."""
    return (area, name) in static_files(development=True)


@cache
def environment() -> Environment:
    """The environment of every page (made on first use)."""
    loader = PrefixLoader(
        {area: FileSystemLoader(folder / "templates") for area, folder in AREAS.items()}
    )
    env = Environment(loader=loader, autoescape=True)
    env.globals["static"] = static_url
    return env


def _use(env: Environment, filters: Filters) -> None:
    for name, function in filters.items():
        known = env.filters.setdefault(name, function)
        if known is not function:
            raise ValueError(f"template filter {name!r} is already another function")


def render(name: str, context: Mapping[str, Any], *, filters: Filters | None = None) -> str:
    """The template `name` ("<area>/<file>") rendered with `context` (and the filters it
    uses, see the module's docstring)."""
    env = environment()
    if filters:
        _use(env, filters)
    return env.get_template(name).render(context)


def page(
    name: str,
    context: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    status_code: int = 200,
    filters: Filters | None = None,
) -> HTMLResponse:
    """A page: the template rendered into a response with the page's own headers (each
    page keeps its own Content-Security-Policy)."""
    html = render(name, context, filters=filters)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers))
