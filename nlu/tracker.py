"""`DeskRedisTrackerStore`: Rasa's Redis tracker store that remembers each turn's NLU result.

The desk channel (nlu/channel.py) answers with the bot's messages only; the gateway also
needs what the model understood (intent, confidence, and the best real intent when the
fallback fired) to collect the messages the model was unsure about for admins to label.
The tracker is saved at the end of every turn, in the same task as the channel's
handler, so the store notes the latest parse here and the channel takes it after the
turn. Nothing else changes: same keys, same data as Rasa's own store.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.stores import primary_client, take_sentinel_options

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


# How long a finished turn's answer is kept for a retry of the same message: retries come
# within minutes; the answer may echo the citizen's words, so it is not kept for long.
TURN_TTL_S = 3600


class DeskRedisTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that notes each saved turn's NLU result for the desk channel,
    and keeps each finished turn's answer so that a retried message is answered again
    from it instead of being processed twice (nlu/channel.py). With `sentinels` in
    endpoints.yml it reaches Redis through Sentinel (nlu/stores.py)."""

    def __init__(self, domain: Domain, **options: Any) -> None:
        sentinel = take_sentinel_options(options)
        super().__init__(domain, **options)
        following = primary_client(
            sentinel,
            db=options.get("db", 0),
            username=options.get("username"),
            password=options.get("password"),
            ssl=bool(options.get("use_ssl", False)),
            decode_responses=True,
        )
        if following is not None:
            self.red = following

    def _turn_key(self, sender_id: str, message_id: str) -> str:
        # Beside the trackers, not among them (Rasa lists every key under its prefix as
        # a conversation); by sender, so that erasing a citizen's data finds them.
        base = self.key_prefix.removesuffix("tracker:")
        return f"{base}turn:{sender_id}:{message_id}"

    def remember_turn(self, sender_id: str, message_id: str, answer: dict[str, Any]) -> None:
        """Keeps what the bot answered to this message (an hour)."""
        key = self._turn_key(sender_id, message_id)
        self.red.set(key, json.dumps(answer, ensure_ascii=False), ex=TURN_TTL_S)

    def recall_turn(self, sender_id: str, message_id: str) -> dict[str, Any] | None:
        """What the bot answered to this message, if it was handled already."""
        stored = self.red.get(self._turn_key(sender_id, message_id))
        return None if stored is None else dict(json.loads(stored))

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Saves as Rasa does, then notes what the model understood."""
        await super().save(tracker, timeout)
        found = understood(tracker)
        if found is not None:
            _latest[tracker.sender_id] = found
            _latest.move_to_end(tracker.sender_id)
            while len(_latest) > _KEEP:
                _latest.popitem(last=False)
