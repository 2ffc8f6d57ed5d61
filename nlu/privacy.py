"""Keep citizens' words out of the Rasa server's logs (PDPA).

Rasa 3.6 writes message text, entities and slot values to its logs in several places:

- structlog events with the text in a key: `processor.message.parse` (`parse_data_text`,
  `parse_data_entities`), `processor.slots.log` (`slot_values`),
  `processor.actions.log` (`rasa_events`, user utterances included) and more, at DEBUG;
  `message.parsing.failed` (`user_text`) at WARNING, from
  `rasa.shared.core.training_data.story_reader.yaml_story_reader` when a message starts
  with "/" (Rasa's intent shortcut) and is not one. Rasa lists these keys itself for its
  commercial anonymiser (`rasa.utils.log_utils._anonymizer`) and leaves them as they
  are without it.
- `warnings.warn("Failed to parse arguments in line '<the whole message>' …")` from the
  same reader (via `rasa.shared.utils.io.raise_warning`) when a "/" message names no
  known intent or carries unreadable arguments — the regex message handler runs it on
  every message.
- stdlib DEBUG records with slot values (`rasa.core.actions.action`: "Validating
  extracted slots: …").

`install()` puts a redacting processor first in structlog's chain, drops those warnings
and filters those records on the root handlers. The desk's input channel
(nlu/channel.py) calls it when Rasa builds the channel, after Rasa has set up logging.
Event names, intents, actions and levels stay in the logs.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import MutableMapping
from typing import Any

REDACTED = "<redacted>"

# Event keys whose values can hold what a citizen wrote or said about themselves: Rasa's
# own list (rasa/utils/log_utils.py, `anonymizable_keys`) plus the texts it logs.
SENSITIVE_KEYS = frozenset(
    {
        "text",
        "user_text",
        "response_text",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "slot_values",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
        "event_info",
    }
)

# Starts of Rasa warnings that quote the message text in full.
SENSITIVE_WARNINGS = ("Failed to parse arguments in line",)

# Starts of stdlib log messages from Rasa that carry slot values or message text.
SENSITIVE_RECORDS = (
    "Validating extracted slots:",
    "Failed to parse arguments in line",
)


def redact_event(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: replaces the values of sensitive keys, keeps the rest."""
    for key in SENSITIVE_KEYS.intersection(event_dict):
        event_dict[key] = REDACTED
    return event_dict


class SensitiveRecordFilter(logging.Filter):
    """Drops stdlib log records that quote message text or slot values."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a record whose message starts with a sensitive template."""
        return not str(record.msg).startswith(SENSITIVE_RECORDS)


_record_filter = SensitiveRecordFilter()


def _install_structlog() -> None:
    import structlog
    from structlog import _config

    processors = _config._CONFIG.default_processors
    if redact_event in processors:
        return
    if isinstance(processors, list):
        # In place: loggers that Rasa has already bound and cached hold this very list.
        processors.insert(0, redact_event)
    else:
        structlog.configure(processors=[redact_event, *processors])


def _install_logging() -> None:
    root = logging.getLogger()
    for target in (root, *root.handlers):
        if _record_filter not in target.filters:
            target.addFilter(_record_filter)
    # `logging.captureWarnings(True)` routes warnings to this logger.
    warnings_logger = logging.getLogger("py.warnings")
    if _record_filter not in warnings_logger.filters:
        warnings_logger.addFilter(_record_filter)


def install() -> None:
    """Redact message text from Rasa's structlog events, warnings and log records."""
    _install_structlog()
    for start in SENSITIVE_WARNINGS:
        warnings.filterwarnings("ignore", message=start)
    _install_logging()
