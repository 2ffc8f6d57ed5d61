"""The desk's custom actions (rasa-sdk), thin, calling bot/ services.

With `DESK_WARM=1` (the desk's process table sets it) the action server builds the
catalogue's search index in the background as it starts, so the first citizen who asks
"how do I get X" does not wait for it.
"""

from __future__ import annotations

import logging
import os
import threading


def _warm() -> None:
    try:
        from actions.catalogue import shared_catalogue

        shared_catalogue()
    except Exception:  # noqa: BLE001 - the first question builds it instead
        logging.getLogger(__name__).warning("could not warm the catalogue", exc_info=True)


if os.environ.get("DESK_WARM") == "1":
    threading.Thread(target=_warm, name="warm-catalogue", daemon=True).start()
