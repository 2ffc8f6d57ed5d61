"""Catalogue actions: "how do I get X" and "how do I contact Y".

The catalogue is read and indexed once per action-server process, on first use (not at
import), and searched in memory. Replies: a Flex card as a custom payload (the gateway
sends it as a LINE Flex message) and, where useful, a short response from domain.yml
whose buttons become quick replies.
"""

from __future__ import annotations

import json
import logging
import re
import time
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.desk import shared_desk
from bot.catalogue import cards, store
from bot.catalogue.schemas import Match, Service
from bot.catalogue.service import Catalogue, follow_up_aspect, is_confident, question_kind
from bot.conversations.service import citizen_by_line_id
from bot.db import unit_of_work

logger = logging.getLogger(__name__)

SEARCH_LIMIT = 4
# A question of neither kind that scores an agency nearly as high as a service names the
# agency ("กรมการกงสุล", "สรรพากร"): services mention their agency, so they score a little
# higher on its bare name. Tuned on tests/data/catalogue_cards_dev.yml.
AGENCY_MARGIN = 0.1
# A message the NLU read as chat, a detail or nothing it knows (`action_not_understood`)
# still gets a service's card when the catalogue is this sure of it (and the best leads
# the runner-up as for any answer). Chosen on the development questions end to end
# (tests/data/catalogue_dev_*.yml through the trained model; a wrong card costs three):
# 0.60 gave 63 right cards and 3 to questions the catalogue cannot answer, 0.70 59 and 1,
# 0.80 46 and 0. See docs/catalogue.md.
SURE_WITHOUT_INTENT = 0.70
# "/intent" or "/intent{json}": a button or rich-menu postback sent to Rasa as text.
_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z0-9_]+)(?P<entities>\{.*\})?\s*$", re.DOTALL)


# A card shown longer ago than this is not what a bare "ค่าธรรมเนียมเท่าไหร่" is about.
FOLLOW_UP_SECONDS = 30 * 60
_CARD_OF = re.compile(r"action=service_feedback&s=([A-Za-z0-9_\-]+)")


def last_service_shown(tracker: Tracker, now: float | None = None) -> str | None:
    """The id of the last service card the citizen was shown (its feedback buttons name
    it) within FOLLOW_UP_SECONDS; None when there is none."""
    now = time.time() if now is None else now
    for event in reversed(tracker.events):
        if float(event.get("timestamp") or now) < now - FOLLOW_UP_SECONDS:
            return None
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom")
        if isinstance(custom, dict) and custom.get("type") == "flex":
            found = _CARD_OF.search(json.dumps(custom, ensure_ascii=False))
            if found:
                return found.group(1)
    return None


def shared_catalogue() -> Catalogue:
    """The desk's catalogue (the database's, as staff edit it), current."""
    return shared_desk().catalogue


def read_request(tracker: Tracker) -> tuple[str | None, dict[str, str]]:
    """(free text or None for a payload, entities) of the latest user message."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "").strip()
    entities: dict[str, str] = {}
    for entity in message.get("entities") or []:
        if entity.get("entity") and entity.get("value") is not None:
            entities.setdefault(str(entity["entity"]), str(entity["value"]))
    payload = _PAYLOAD.match(text)
    if payload is None:
        return (text or None), entities
    # Rasa drops payload entities the domain does not declare: read the JSON ourselves too.
    if payload.group("entities"):
        try:
            extra = json.loads(payload.group("entities"))
        except ValueError:
            extra = {}
        if isinstance(extra, dict):
            for key, value in extra.items():
                entities.setdefault(str(key), str(value))
    return None, entities


def _from_slot(tracker: Tracker, name: str) -> str | None:
    value = tracker.slots.get(name)
    return str(value) if value else None


class _CatalogueAction(Action, ABC):
    # Abstract, so that rasa_sdk's package scan does not register the base class.

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        """`catalogue` for tests; the action server uses the shared one."""
        self._catalogue = catalogue

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue this action searches."""
        return self._catalogue or shared_catalogue()

    @abstractmethod
    def name(self) -> str:
        """Action name, as in domain.yml."""

    def send_service(self, dispatcher: CollectingDispatcher, service: Service) -> None:
        """The Flex card of one service."""
        category = self.catalogue.get_category(service.category)
        agency = self.catalogue.get_agency(service.agency)
        dispatcher.utter_message(
            json_message=cards.service_message(service, category=category, agency=agency)
        )

    def send_agency(self, dispatcher: CollectingDispatcher, agency_id: str) -> bool:
        """The Flex card of one agency; False when there is no such agency."""
        agency = self.catalogue.get_agency(agency_id)
        if agency is None:
            return False
        dispatcher.utter_message(json_message=cards.agency_message(agency))
        return True


class ActionServiceLookup(_CatalogueAction):
    """Answers a question about a government service with the best-matching service card."""

    def name(self) -> str:
        """Action name, as in domain.yml."""
        return "action_service_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A card for a named service/category, or the best match for the citizen's text."""
        text, entities = read_request(tracker)
        if text is None:
            self._answer_payload(dispatcher, entities, tracker)
        elif not self.answer_follow_up(dispatcher, tracker, text):
            self._answer_text(dispatcher, text, tracker.sender_id)
        return []

    def answer_follow_up(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str
    ) -> bool:
        """A detail asked right after a service's card ("ค่าธรรมเนียมเท่าไหร่"): that detail
        of that service (the card names the service, the question does not); False, and
        nothing said, when the question names a service or no card was shown lately."""
        aspect = follow_up_aspect(text)
        service_id = last_service_shown(tracker) if aspect else None
        service = self.catalogue.get(service_id) if service_id else None
        if aspect is None or service is None:
            return False
        logger.info("catalogue: %s of %s, asked after its card", aspect, service.id)
        agency = self.catalogue.get_agency(service.agency)
        dispatcher.utter_message(text=cards.service_aspect_text(service, aspect, agency=agency))
        return True

    def answer_if_sure(self, dispatcher: CollectingDispatcher, text: str) -> bool:
        """For a message the NLU did not read as a service question ("บัตรคนพิการทำที่ไหน"
        read as chat): the service's card when the catalogue is sure of it
        (SURE_WITHOUT_INTENT); False, and nothing said, otherwise."""
        ranked = self.catalogue.ranked(query=text, limit=2)
        if not is_confident(ranked, threshold=SURE_WITHOUT_INTENT):
            return False
        service = self.catalogue.get(ranked[0].key)
        if service is None:
            return False
        logger.info("catalogue: %s for a message read as another intent", service.id)
        self.send_service(dispatcher, service)
        return True

    def _answer_payload(
        self, dispatcher: CollectingDispatcher, entities: dict[str, str], tracker: Tracker
    ) -> None:
        catalogue = self.catalogue
        if entities.get("query") and not entities.get("service_id"):
            # "สอบถามวิธีขอรับบริการ", chosen when the desk asked what a message meant.
            self._answer_text(dispatcher, entities["query"][:200], tracker.sender_id)
            return
        service_id = entities.get("service_id") or _from_slot(tracker, "service_id")
        category_id = entities.get("service_category")
        if service_id:
            service = catalogue.get(service_id)
            if service is not None and entities.get("details") == "full":
                # "อ่านต่อ": everything the card had to shorten.
                for text in cards.service_full_text(
                    service, agency=self.catalogue.get_agency(service.agency)
                ):
                    dispatcher.utter_message(text=text)
                return
            if service is not None:
                logger.info("catalogue: service %s by id", service.id)
                self.send_service(dispatcher, service)
                return
            logger.info("catalogue: unknown service id")
            self._not_found(dispatcher, [])
            return
        category = catalogue.get_category(category_id) if category_id else None
        if category is not None:
            services = [s for s in catalogue.services if s.category == category.id]
            dispatcher.utter_message(json_message=cards.category_message(category, services))
            return
        # The rich menu's "find a service": ask, and offer the categories.
        dispatcher.utter_message(
            response="utter_service_ask",
            buttons=cards.quick_replies(cards.category_buttons(catalogue.categories)),
        )

    def _answer_text(
        self, dispatcher: CollectingDispatcher, text: str, sender: str | None = None
    ) -> None:
        catalogue = self.catalogue
        matches = catalogue.search(query=text, limit=SEARCH_LIMIT)
        best = matches[0] if matches else None
        service = catalogue.get(best.service_id) if best is not None and best.confident else None
        agency_id = self._agency_answer(text, best, service)
        if agency_id is not None:
            logger.info("catalogue: agency %s", agency_id)
            self.send_agency(dispatcher, agency_id)
            return
        if best is None or service is None:
            logger.info("catalogue: no confident match (best %.2f)", best.confidence if best else 0)
            self._not_found(dispatcher, matches)
            self.unanswered(sender, text, best.service_id if best else None)
            return
        logger.info("catalogue: matched %s (confidence %.2f)", service.id, best.confidence)
        self.send_service(dispatcher, service)
        others = self._buttons(matches[1:])
        if others:
            dispatcher.utter_message(
                response="utter_service_also", buttons=cards.quick_replies(others)
            )

    def _agency_answer(self, text: str, best: Match | None, service: Service | None) -> str | None:
        """The agency whose card answers `text` better than a service card, if any.

        By the question's kind: "เบอร์กรมการกงสุล" wants a contact (the named agency, else
        the agency of the service asked about), "ทำพาสปอร์ตต้องใช้เอกสารอะไร" a service (an
        agency only when no service matches). Neither: the agency wins when it scores
        within AGENCY_MARGIN of the service.
        """
        kind = question_kind(text)
        if kind == "how_to" and service is not None:
            return None
        agencies = self.catalogue.search_agencies(query=text, limit=1)
        agency = agencies[0] if agencies and agencies[0].confident else None
        if kind == "contact":
            if agency is not None:
                return agency.agency_id
            return service.agency if service is not None else None
        if agency is not None and (
            kind == "how_to" or best is None or agency.score >= best.score - AGENCY_MARGIN
        ):
            return agency.agency_id
        return None

    def unanswered(self, sender: str | None, text: str, best: str | None) -> None:
        """Keeps the question for admins (the NLU inbox), with who asked (erased with
        them); a failure to keep it never costs the citizen their answer."""
        if self._catalogue is not None or not sender:
            return  # a test's own catalogue: no desk behind it
        try:
            with unit_of_work(shared_desk().sessions) as session:
                citizen = citizen_by_line_id(session, sender)
                store.record_question(session, citizen.id if citizen else None, text, best)
        except SQLAlchemyError:
            logger.warning("catalogue: could not keep an unanswered question", exc_info=True)

    def _buttons(self, matches: list[Match]) -> list[dict[str, str]]:
        services = {m.service_id: s for m in matches if (s := self.catalogue.get(m.service_id))}
        return cards.match_buttons(matches, services)

    def _not_found(self, dispatcher: CollectingDispatcher, weak: list[Match]) -> None:
        buttons = cards.quick_replies(
            self._buttons(weak[:3]), cards.category_buttons(self.catalogue.categories)
        )
        dispatcher.utter_message(response="utter_service_not_found", buttons=buttons)


class ActionAgencyContact(_CatalogueAction):
    """Answers "how do I contact X" with the agency's contact card."""

    def name(self) -> str:
        """Action name, as in domain.yml."""
        return "action_agency_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The named agency, the best-matching agency, or the agency of a matched service."""
        catalogue = self.catalogue
        text, entities = read_request(tracker)
        agency_id = entities.get("agency_id") or (
            _from_slot(tracker, "agency_id") if text is None else None
        )
        if agency_id and self.send_agency(dispatcher, agency_id):
            return []
        if text:
            agencies = catalogue.search_agencies(query=text, limit=3)
            if agencies and agencies[0].confident:
                logger.info("catalogue: agency %s", agencies[0].agency_id)
                self.send_agency(dispatcher, agencies[0].agency_id)
                others = [
                    {
                        "title": cards.clip(a.name, cards.MAX_LABEL),
                        "payload": cards.agency_payload(a.agency_id),
                    }
                    for a in agencies[1:]
                    if a.confident
                ]
                if others:
                    dispatcher.utter_message(
                        response="utter_agency_also", buttons=cards.quick_replies(others)
                    )
                return []
            # "ทำพาสปอร์ตติดต่อที่ไหน": the agency of the service asked about.
            matches = catalogue.search(query=text, limit=1)
            service = catalogue.get(matches[0].service_id) if matches else None
            if service is not None and matches[0].confident:
                logger.info("catalogue: agency of service %s", service.id)
                self.send_agency(dispatcher, service.agency)
                return []
        dispatcher.utter_message(response="utter_agency_not_found", buttons=cards.quick_replies([]))
        return []
