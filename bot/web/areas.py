"""The areas of the desk's web pages: a folder of bot/ with `templates/` and `static/`.

An area's templates are found as "<area>/<name>" (bot.web.pages) and its static files are
served at /static/<area>/<name> (bot.web.views). The table is the one place that knows
where they are; the simulator's area is development-only, like the simulator itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

BOT = Path(__file__).resolve().parent.parent

AREAS: dict[str, Path] = {
    "web": BOT / "web",  # the base layout and desk.js, shared by the pages below
    "console": BOT / "console",
    "teaching": BOT / "teaching",
    "reports": BOT / "reports",
    "deadletters": BOT / "deadletters",
    "catalogue": BOT / "catalogue",
    "simulator": BOT / "dev" / "simulator",
}
# Browser libraries from the npm registry (bot/web/vendor/package.json, installed by
# `make env`), served as they are published: /static/leaflet/leaflet.js. Absent until
# installed; pages that need one check `has_static` and say so.
VENDOR = BOT / "web" / "vendor" / "node_modules"
VENDOR_AREAS: dict[str, Path] = {
    "leaflet": VENDOR / "leaflet" / "dist",
    "markercluster": VENDOR / "leaflet.markercluster" / "dist",
}
# Never served in production, where the simulator is not even mounted (bot.main).
DEVELOPMENT_ONLY = frozenset({"simulator"})
# What a static folder may hold to be served, by suffix; other files are not served.
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


@dataclass(frozen=True)
class StaticFile:
    """One file that may be served, and its media type."""

    path: Path
    media_type: str


@cache
def static_files(*, development: bool) -> Mapping[tuple[str, str], StaticFile]:
    """Every servable file of the areas' static/ folders by (area, name), read from disk
    on first use (at start): a name from a URL is only ever a key into it, never a path.
    The simulator's files are among them in development only."""
    found: dict[tuple[str, str], StaticFile] = {}
    folders = [(area, folder / "static", False) for area, folder in AREAS.items()]
    folders += [(area, folder, True) for area, folder in VENDOR_AREAS.items()]
    for area, static, nested in folders:
        if area in DEVELOPMENT_ONLY and not development:
            continue
        if not static.is_dir():
            continue
        # An area's own folder is flat; a published library keeps its layout (images/).
        for path in sorted(static.rglob("*") if nested else static.iterdir()):
            name = path.relative_to(static).as_posix()
            media_type = MEDIA_TYPES.get(path.suffix)
            hidden = any(part.startswith(".") for part in name.split("/"))
            if media_type and path.is_file() and not hidden:
                found[(area, name)] = StaticFile(path, media_type)
    return MappingProxyType(found)
