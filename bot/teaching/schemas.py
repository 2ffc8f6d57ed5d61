"""What /api/nlu/parse takes and gives."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ParseRequest(BaseModel):
    """A text to understand."""

    text: str = Field(min_length=1, max_length=5000)


class Intent(BaseModel):
    """An intent and the model's confidence in it."""

    name: str
    confidence: float


class Entity(BaseModel):
    """An entity found in the text, with offsets into the text as given."""

    entity: str
    value: str
    start: int
    end: int


class Service(BaseModel):
    """A catalogue service the text may be about, ranked."""

    id: str
    title: str
    score: float
    confidence: float
    confident: bool


class ParseResult(BaseModel):
    """The NLU's reading of a text."""

    text: str
    intent: Intent
    intent_ranking: list[Intent]
    entities: list[Entity]
    services: list[Service]
