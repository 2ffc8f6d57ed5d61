"""`DeskRedisTrackerStore`: Rasa's Redis tracker store that remembers each turn's NLU result.

The desk channel (nlu/channel.py) answers with the bot's messages only; the gateway also
needs what the model understood (intent, confidence, and the best real intent when the
fallback fired) to collect the messages the model was unsure about for admins to label.
The tracker is saved at the end of every turn, in the same task as the channel's
handler, so the store notes the latest parse here and the channel takes it after the
turn. Nothing else changes: same keys, same data as Rasa's own store.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

FALLBACK = "nlu_fallback"
# Senders whose latest parse was not taken yet (another channel, an action-only turn).
_KEEP = 10_000
_latest: OrderedDict[str, dict[str, Any]] = OrderedDict()


def understood(tracker: DialogueStateTracker) -> dict[str, Any] | None:
    """Intent, confidence and best non-fallback guess of the tracker's latest message."""
    latest = tracker.latest_message
    if latest is None or not latest.intent:
        return None
    ranking = latest.parse_data.get("intent_ranking") or []
    guess = next((r for r in ranking if r.get("name") != FALLBACK), None)
    return {
        "intent": latest.intent.get("name"),
        "confidence": latest.intent.get("confidence"),
        "guess": guess.get("name") if guess else None,
        "guess_confidence": guess.get("confidence") if guess else None,
    }


def take(sender_id: str) -> dict[str, Any] | None:
    """The parse noted for this sender's turn (once)."""
    return _latest.pop(sender_id, None)


class DeskRedisTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that notes each saved turn's NLU result for the desk channel."""

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Saves as Rasa does, then notes what the model understood."""
        await super().save(tracker, timeout)
        found = understood(tracker)
        if found is not None:
            _latest[tracker.sender_id] = found
            _latest.move_to_end(tracker.sender_id)
            while len(_latest) > _KEEP:
                _latest.popitem(last=False)
