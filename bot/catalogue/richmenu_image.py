"""Draws static/richmenu.png: `python -m bot.catalogue.richmenu_image` (development only).

The tiles are HTML (Thai labels need a real text shaper) rendered by Debian's Chromium
through Playwright, a development dependency; the gateway only ever reads the PNG.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from bot.catalogue.richmenu import HEIGHT, IMAGE_PATH, MAX_IMAGE_BYTES, TILES, WIDTH
from bot.chromium import CHROMIUM, CHROMIUM_ARGS

# White line-art pictograms, 24x24 viewBox, one per tile in TILES order.
ICONS = (
    # megaphone: report a problem
    '<path d="M3 9.5v5h4l7 4.5v-14L7 9.5H3z"/><path d="M16.5 9.5a3.5 3.5 0 0 1 0 5"/>'
    '<path d="M19 7a7 7 0 0 1 0 10"/><path d="M5 14.5l1.2 5h2.6l-1-5"/>',
    # clipboard with a tick: track my tickets
    '<rect x="5" y="4" width="14" height="17" rx="2"/><rect x="9" y="2.5" width="6" height="3"'
    ' rx="1"/><path d="M8.5 13l2.5 2.5 4.5-5"/>',
    # document under a magnifier: find a service
    '<path d="M6 3h8l4 4v5"/><path d="M6 3v17h6"/><path d="M14 3v4h4"/>'
    '<circle cx="16.5" cy="16.5" r="3.2"/><path d="M18.8 18.8L21.5 21.5"/>',
    # headset: talk to staff
    '<path d="M4 14v-2a8 8 0 0 1 16 0v2"/><rect x="3" y="13" width="4" height="6" rx="1.5"/>'
    '<rect x="17" y="13" width="4" height="6" rx="1.5"/><path d="M19 19c0 1.5-2 2.5-5 2.5"/>',
)


def page() -> str:
    """The menu as one HTML page of exactly WIDTH x HEIGHT pixels."""
    tiles = "".join(
        f'<div class="tile" style="background:{tile.color}">'
        f'<svg viewBox="0 0 24 24" aria-hidden="true">{icon}</svg>'
        f'<div class="label">{html.escape(tile.label)}</div>'
        f'<div class="hint">{html.escape(tile.hint)}</div></div>'
        for tile, icon in zip(TILES, ICONS, strict=True)
    )
    return f"""<!doctype html><html lang="th"><head><meta charset="utf-8"><style>
html, body {{ margin: 0; width: {WIDTH}px; height: {HEIGHT}px; background: #fff; }}
.grid {{ display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: 1fr 1fr;
  width: {WIDTH}px; height: {HEIGHT}px; gap: 8px; }}
.tile {{ display: flex; flex-direction: column; align-items: center; justify-content: center;
  color: #fff; font-family: "Loma", "Garuda", "Waree", sans-serif; }}
svg {{ width: 300px; height: 300px; fill: none; stroke: #fff; stroke-width: 1.6;
  stroke-linecap: round; stroke-linejoin: round; margin-bottom: 20px; }}
.label {{ font-size: 150px; font-weight: bold; line-height: 1.25; }}
.hint {{ font-size: 64px; opacity: .95; line-height: 1.3; }}
</style></head><body><div class="grid">{tiles}</div></body></html>"""


def render(path: Path = IMAGE_PATH) -> int:
    """Renders the page to `path` as PNG; returns its size in bytes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            tab.set_content(page())
            tab.screenshot(path=str(path), type="png", full_page=False)
        finally:
            browser.close()
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise SystemExit(f"{path}: {size} bytes, over LINE's 1 MB limit")
    return size


if __name__ == "__main__":
    written = render(Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGE_PATH)
    print(f"{IMAGE_PATH}: {written} bytes, {WIDTH}x{HEIGHT}")
