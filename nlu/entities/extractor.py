"""`ThaiEntityExtractor`: ticket ids, phones, national ids, provinces and districts."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE, TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.entities.extract import extract_entities
from nlu.entities.parsers import DISTRICT, ENTITY_TYPES, PROVINCE, EntityMatch
from nlu.entities.places import PlaceMatcher
from nlu.geo import Gazetteer, files_digest, geo_files, load_gazetteer

logger = logging.getLogger(__name__)

GAZETTEER_FILE = "gazetteer.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ThaiEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Rule-based Thai entities; the gazetteer is read at train time and kept in the model."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default config (see the report / module docs for the meaning of each key)."""
        return {
            # subset of: ticket_id, national_id, phone, district, province
            "entity_types": list(ENTITY_TYPES),
            # folder with provinces.csv, districts.csv, aliases.csv; None = data/geo
            "geo_path": None,
            # also match English province names (Chiang Mai, Korat, ...)
            "english_names": True,
            # require place names to start/end on token boundaries (ThaiTokenizer tokens)
            "use_token_boundaries": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        """Build the place matcher if places are wanted and a gazetteer is known."""
        self._config = {**self.get_default_config(), **config}
        unknown = set(self._config["entity_types"]) - set(ENTITY_TYPES)
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown entity_types {sorted(unknown)}")
        self._model_storage = model_storage
        self._resource = resource
        self._gazetteer: Gazetteer | None = None
        self._places: PlaceMatcher | None = None
        self._use_gazetteer(gazetteer)

    def _use_gazetteer(self, gazetteer: Gazetteer | None) -> None:
        self._gazetteer = gazetteer
        self._places = None
        if gazetteer is not None and self._wants_places():
            self._places = PlaceMatcher(gazetteer, english_names=self._config["english_names"])

    def _wants_places(self) -> bool:
        return bool({PROVINCE, DISTRICT} & set(self._config["entity_types"]))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ThaiEntityExtractor:
        """New, untrained component (the gazetteer is read in `train`)."""
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the gazetteer files change, not only when the config does."""
        # Rasa fingerprints this class's source only; the gazetteer loader counts too.
        nlu_dir = Path(__file__).resolve().parent.parent
        sources = [nlu_dir / name for name in ("normalize.py", "informal.py", "geo.py")]
        return files_digest(geo_files(config.get("geo_path")) + sources)

    def train(self, training_data: TrainingData) -> Resource:
        """Read the gazetteer from disk and store it in the model."""
        if self._wants_places():
            self._use_gazetteer(load_gazetteer(self._config["geo_path"]))
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the gazetteer (if any) to this component's resource."""
        with self._model_storage.write_to(self._resource) as directory:
            data = self._gazetteer.to_dict() if self._gazetteer else None
            (Path(directory) / GAZETTEER_FILE).write_text(
                json.dumps(data, ensure_ascii=False), encoding="utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ThaiEntityExtractor:
        """Restore the gazetteer persisted at train time."""
        gazetteer = None
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((Path(directory) / GAZETTEER_FILE).read_text("utf-8"))
            gazetteer = Gazetteer.from_dict(data) if data else None
        except (ValueError, FileNotFoundError):
            logger.warning("%s: no persisted gazetteer in %s", cls.__name__, resource.name)
        component = cls(config, model_storage, resource, gazetteer)
        if gazetteer is None and component._wants_places():
            logger.warning("%s: reading the gazetteer from disk instead", cls.__name__)
            component._use_gazetteer(load_gazetteer(component._config["geo_path"]))
        return component

    def process(self, messages: list[Message]) -> list[Message]:
        """Append this extractor's entities to each message's entities."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = [self._as_dict(m) for m in self.extract(text, message)]
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages

    def extract(self, text: str, message: Message | None = None) -> list[EntityMatch]:
        """Entities of the configured types in `text`, spans into `text`."""
        spans = None
        if message is not None and self._config["use_token_boundaries"]:
            tokens = message.get(TOKENS_NAMES[TEXT])
            if tokens:
                spans = [(t.start, t.end) for t in tokens]
        return extract_entities(
            text,
            places=self._places,
            entity_types=self._config["entity_types"],
            token_spans=spans,
        )

    @staticmethod
    def _as_dict(match: EntityMatch) -> dict[str, Any]:
        entity: dict[str, Any] = {
            ENTITY_ATTRIBUTE_TYPE: match.entity,
            ENTITY_ATTRIBUTE_START: match.start,
            ENTITY_ATTRIBUTE_END: match.end,
            ENTITY_ATTRIBUTE_VALUE: match.value,
            ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
        }
        entity.update(match.extra)
        return entity
