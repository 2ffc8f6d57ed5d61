"""Debian's Chromium as the desk drives it (Playwright never downloads a browser here).

One place for its path and launch flags: the rich-menu image renderer, the browser
tests and the console benchmark all launch it the same way. Without the background
networking flags Chromium keeps trying to reach Google's hosts on a closed network.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
