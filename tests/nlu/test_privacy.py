"""Rasa's own logging, set up as `rasa run` does, must not carry a citizen's words."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator

import pytest
import structlog
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.log_utils import configure_structlog

from nlu import privacy
from nlu.channel import DeskInput

# A complaint that starts with "/" (Rasa's intent shortcut) with a name and phone number.
SECRET = "สมชายใจดี 0812345678"
SLASH_TEXT = f"/ถนนพังหน้าบ้าน {SECRET}"
DOMAIN = Domain.from_yaml("version: '3.1'\nintents:\n  - greet\n")


@pytest.fixture
def rasa_log() -> Iterator[io.StringIO]:
    """Rasa's structlog set-up at DEBUG, written with the root logger's handler (as
    `rasa run` has it) to a buffer; warnings recorded. Everything restored afterwards."""
    root = logging.getLogger()
    handlers, filters, level = list(root.handlers), list(root.filters), root.level
    saved = structlog.get_config()
    buffer = io.StringIO()
    root.handlers[:] = [logging.StreamHandler(buffer)]
    configure_structlog(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            # Every warning, every time (Python shows one per place by default).
            warnings.simplefilter("always")
            yield buffer
            for warning in caught:
                buffer.write(f"warning: {warning.message}\n")
    finally:
        structlog.configure(**saved)
        root.handlers[:], root.filters[:] = handlers, filters
        root.setLevel(level)


def say_things() -> None:
    """What Rasa logs when it reads and handles one "/" message."""
    for text in (SLASH_TEXT, "/", "/greet{bad json " + SECRET):
        YAMLStoryReader.unpack_regex_message(Message({TEXT: text}), DOMAIN)
    log = structlog.get_logger("rasa.core.processor")
    log.debug("processor.message.parse", parse_data_text=SLASH_TEXT, parse_data_intent="x")
    log.warning("message.parsing.failed", user_text=SLASH_TEXT)
    log.debug("processor.slots.log", slot_values=f"complaint_text: {SECRET}")
    logging.getLogger("rasa.core.actions.action").debug(
        "Validating extracted slots: %s", {"phone": SECRET}
    )


def logged(buffer: io.StringIO) -> str:
    """What reached the log, warnings included (written when the fixture ends)."""
    return buffer.getvalue()


def test_without_the_filter_rasa_logs_the_text(rasa_log: io.StringIO) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        say_things()
    text = logged(rasa_log) + "".join(str(w.message) for w in caught)
    assert SECRET in text
    assert "processor.message.parse" in text


def test_the_desk_channel_keeps_the_text_out_of_every_log(rasa_log: io.StringIO) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DeskInput("token")  # as Rasa builds the channel, after setting up logging
        say_things()
    text = logged(rasa_log) + "".join(str(w.message) for w in caught)
    assert SECRET not in text
    assert "ถนน" not in text
    # The events themselves are still logged, with their harmless fields.
    assert "processor.message.parse" in text
    assert "message.parsing.failed" in text
    assert privacy.REDACTED in text


def test_install_is_idempotent(rasa_log: io.StringIO) -> None:
    privacy.install()
    privacy.install()
    processors = structlog.get_config()["processors"]
    assert list(processors).count(privacy.redact_event) == 1
    root = logging.getLogger()
    assert all(list(h.filters).count(privacy._record_filter) <= 1 for h in root.handlers)


def test_redact_event_keeps_names_and_intents() -> None:
    event = {"event": "processor.message.parse", "parse_data_text": "x", "parse_data_intent": 1}
    assert privacy.redact_event(None, "debug", event) == {
        "event": "processor.message.parse",
        "parse_data_text": privacy.REDACTED,
        "parse_data_intent": 1,
    }
