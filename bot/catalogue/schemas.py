"""The government-service catalogue as data: services, categories, agencies, matches."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


def _https(value: str) -> str:
    # LINE buttons open only https:// (and tel:) URIs; the web page links the same URLs.
    if not value.startswith("https://") or len(value) > 1000 or any(c.isspace() for c in value):
        raise ValueError("must be an https:// URL without spaces")
    return value


def _phone(value: Any) -> Any:
    # YAML reads an unquoted hotline (1548) as a number.
    return str(value) if isinstance(value, int) else value


def _blank_none(value: Any) -> Any:
    # An optional field written as "" means "none", as if it were left out.
    return None if isinstance(value, str) and not value.strip() else value


_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(value: str) -> str:
    # Citizens read these in LINE and on the web page as plain text: markup or control
    # characters can only be a mistake (or an attack on some other renderer).
    if _MARKUP.search(value):
        raise ValueError("must be plain text (no HTML tags or control characters)")
    return value


def _strip(value: Any) -> Any:
    # Unquoted numbers in YAML (an alias `1111`, a keyword `30`) are meant as text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) else value


HttpsUrl = Annotated[str, AfterValidator(_https)]
Text = Annotated[
    str, Field(min_length=1, max_length=1000), BeforeValidator(_strip), AfterValidator(_plain)
]
# A name citizens may type (title, alias, keyword): short.
Name = Annotated[
    str, Field(min_length=1, max_length=200), BeforeValidator(_strip), AfterValidator(_plain)
]
Names = Annotated[list[Name], Field(max_length=40)]
Items = Annotated[list[Text], Field(max_length=30)]
# A number to dial, possibly followed by words: "1548", "02 572 8442", "1111 กด 77".
Hotline = Annotated[
    str, BeforeValidator(_phone), Field(pattern=r"^[0-9][0-9 -]{2,19}(\s.*)?$", max_length=40)
]
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=60)]
# Optional variants: "" reads as absent.
MaybeText = Annotated[Text | None, BeforeValidator(_blank_none)]
MaybeHotline = Annotated[Hotline | None, BeforeValidator(_blank_none)]
MaybeUrl = Annotated[HttpsUrl | None, BeforeValidator(_blank_none)]


class _Data(BaseModel):
    # A misspelt key in the YAML must fail loudly, not silently drop a field.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Online(_Data):
    """Where the service can be done online (a web page and/or an app)."""

    url: MaybeUrl = None
    app: MaybeText = None
    note: MaybeText = None


class Service(_Data):
    """One government service, as written in data/catalogue/<category>.yml."""

    id: Id
    title: Name
    aliases: Names = []
    keywords: Names = []
    agency: Id
    summary: Text
    eligibility: Items = []
    documents: Items = []
    fees: MaybeText = None
    processing_time: MaybeText = None
    where: Items = []
    hotline: MaybeHotline = None
    online: Online | None = None
    source: HttpsUrl
    # Provenance: "verified" only when a named staff member confirmed the entry against
    # its source on a date; never for what was written from general knowledge.
    owner: Id | None = None
    verified_by: MaybeText = None
    verified_at: date | None = None
    review_due: date | None = None
    # Filled in by the loader from the file's `category`, never written per service.
    category: Id = "uncategorised"

    @model_validator(mode="after")
    def _provenance(self) -> Service:
        if (self.verified_by is None) != (self.verified_at is None):
            raise ValueError("verified_by and verified_at go together")
        if self.review_due is not None and self.verified_at is None:
            raise ValueError("review_due needs verified_by and verified_at")
        if self.review_due is not None and self.verified_at and self.review_due < self.verified_at:
            raise ValueError("review_due is before verified_at")
        return self

    @property
    def owner_agency(self) -> str:
        """The agency whose content owners keep this entry true (its own agency unless set)."""
        return self.owner or self.agency

    def verified_on(self, today: date) -> date | None:
        """The date it was confirmed, while that still holds on `today` (None past review)."""
        if self.verified_at is None:
            return None
        if self.review_due is not None and today > self.review_due:
            return None
        return self.verified_at


class Category(_Data):
    """A group of services (one YAML file)."""

    id: Id
    title: Name


class CategoryFile(_Data):
    """The shape of one data/catalogue/<category>.yml file."""

    category: Category
    services: list[dict[str, Any]]


class Agency(_Data):
    """A government agency of data/agencies.yml."""

    id: Id
    name: Name
    name_en: MaybeText = None
    aliases: Names = []
    kind: MaybeText = None
    hotline: MaybeHotline = None
    website: MaybeUrl = None
    office: MaybeText = None
    handles: Items = []


class Match(BaseModel):
    """A ranked service for a query; `confident` when above the calibrated threshold."""

    service_id: str
    title: str
    category: str
    score: float
    confidence: float = Field(ge=0.0, le=1.0)
    confident: bool


class AgencyMatch(BaseModel):
    """A ranked agency for a directory query."""

    agency_id: str
    name: str
    score: float
    confidence: float = Field(ge=0.0, le=1.0)
    confident: bool


class CategoryRead(Category):
    """A category with its services, for the web page and the JSON list."""

    services: list[Service]
