"""Loading the catalogue and searching it.

The desk serves the catalogue from the database (`store.database_catalogue`: staff edit it in
the console, bot.catalogue.store), seeded from the files under data/ when empty. Each
process builds the search indexes once and, whenever the catalogue's revision has moved
(`fresh()`, one indexed query), rebuilds them in place: an edit takes effect without a
restart. `load_catalogue()` serves the files alone (tests, benchmarks, the seed check).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from pythainlp.util import Trie

from bot.catalogue.ranking import Analyzer, Document, Index, Scored
from bot.catalogue.schemas import (
    Agency,
    AgencyMatch,
    Category,
    CategoryFile,
    CategoryRead,
    Match,
    Service,
)
from bot.config import ROOT

DATA_DIR = ROOT / "data"
# When the best match is the answer, not a "did you mean": its fused score (0..1) reaches
# SERVICE_THRESHOLD and it leads the runner-up by SERVICE_MARGIN, or it reaches
# SERVICE_SURE (two services alike — "ค่าไฟ" of a bill and of a meter check, "ข้อมูล"
# alone — are a guess between them). Chosen together by bench.catalogue's cost (a wrong
# answer costs three) on the development questions only (tests/data/catalogue_dev_*.yml,
# 225 of them unanswerable, and the ranking tests' questions); 2-fold cross-validated over
# 10 shuffles against the threshold alone: confident but wrong 3.7 % -> 2.1 %, unknown
# questions refused 0.867 -> 0.881, answered right 0.882 -> 0.847 (the rest get the right
# service first among "did you mean"). Checked once on the held-out questions by
# `python -m bench.catalogue`; see docs/catalogue.md and bench/RESULTS.md.
SERVICE_THRESHOLD = 0.60
SERVICE_MARGIN = 0.06
SERVICE_SURE = 0.85
AGENCY_THRESHOLD = 0.35
# Matches below this share of the threshold are noise, not even "did you mean".
FLOOR = 0.5


# The kind of question decides agency card against service card, not the scores alone:
# an agency's name and a service's title share words ("เบอร์กรมการกงสุล" ranks a consular
# service high; "ทำพาสปอร์ตต้องใช้เอกสารอะไร" ranks the consular department high).
# A number, a call or a hotline asks for a contact whatever else is said.
_PHONE = re.compile(r"เบอร์|โทร|สายด่วน|คอลเซ็นเตอร์|call ?cent(?:er|re)|hotline")
_CONTACT = re.compile(
    r"ติดต่อ|อีเมล|email|เว็บไซต์|ที่ตั้ง|ตั้งอยู่|อยู่(?:ที่|ตรง|แถว)ไหน|ไปยังไง|เปิดกี่โมง|เวลาทำการ"
)
# How to get something done: the service card says it (documents, steps, where to apply).
_HOW_TO = re.compile(
    r"เอกสาร|ขั้นตอน|วิธี|ต้องใช้|หลักฐาน|คุณสมบัติ|ค่าธรรมเนียม"
    r"|(?:ทำ|ขอ|ยื่น|สมัคร|ลงทะเบียน|จด)\S*(?:ยังไง|อย่างไร|ไง|(?:ที่|ตรง)ไหน)"
)
QuestionKind = Literal["contact", "how_to"]
# A question about one detail of a service, naming no service ("ค่าธรรมเนียมเท่าไหร่",
# "ต้องใช้เอกสารอะไรบ้าง", "ใช้เวลากี่วัน"): asked right after a service's card, it is about
# that service, not a search for the words (which found the garbage-fee service).
Aspect = Literal["fees", "documents", "where", "time"]
_ASPECTS: dict[Aspect, str] = {
    "fees": r"ค่าธรรมเนียม|ค่าใช้จ่าย|ค่าบริการ|กี่บาท|เสียเงิน|เสียค่า|ราคา|ฟรี|เท่าไหร่|เท่าไร",
    "documents": r"เอกสาร|หลักฐาน|ต้องเตรียม|เตรียมอะไร|ใช้อะไร",
    "where": r"ที่ไหน|ตรงไหน|สถานที่",
    "time": r"กี่วัน|นานไหม|นานมั้ย|นานแค่ไหน|นานเท่าไหร่|ใช้เวลา|กี่ชั่วโมง|ได้เมื่อไหร่|ได้เมื่อไร",
}
# Words of a question that name nothing: what is left of a follow-up without them and its
# detail is at most a couple of letters.
_FILLER = re.compile(
    r"ต้อง|ไหม|มั้ย|มั๊ย|คะ|ค่ะ|ครับ|คับ|นะ|แล้ว|ล่ะ|อะ|จ้า|หรอ|บ้าง|อะไร|ยังไง|ได้|ใช้|ไป|ทำ|ยื่น|"
    r"ที่|ขอ|ถาม|อยาก|ทราบ|รู้|และ|กับ|ส่วน|เรื่อง|ด้วย|หน่อย|เลย|ค่า|คือ|มี|ก็|จะ|แบบ|นี้|อัน|ตัว|เท่า|กี่"
)


def follow_up_aspect(text: str) -> Aspect | None:
    """The detail a question asks about when it names no service, else None."""
    squashed = re.sub(r"[\s?!.,ๆ]+", "", Analyzer.clean(text))
    found = [name for name, pattern in _ASPECTS.items() if re.search(pattern, squashed)]
    if len(found) != 1:
        return None
    rest = re.sub("|".join(_ASPECTS.values()), "", squashed)
    return found[0] if len(_FILLER.sub("", rest)) <= 2 else None


def question_kind(text: str) -> QuestionKind | None:
    """Whether `text` asks for a contact, for how to get a service, or neither (None)."""
    squashed = re.sub(r"\s+", "", Analyzer.clean(text))
    if _PHONE.search(squashed):
        return "contact"
    if _HOW_TO.search(squashed):
        return "how_to"
    if _CONTACT.search(squashed):
        return "contact"
    return None


_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogueError(ValueError):
    """The catalogue data is wrong; the message names the file and the service."""


def _read_yaml(path: Path) -> Any:
    try:
        # libyaml's loader where the wheel has it: ten times faster on the whole catalogue.
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: cannot read: {error}") from error


def _errors(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
    )


def _service_label(raw: Any, position: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return f"service '{raw['id']}'"
    return f"service #{position + 1}"


def read_category_file(*, path: Path) -> tuple[Category, list[Service]]:
    """One data/catalogue/*.yml file, validated; CatalogueError names what is wrong."""
    raw = _read_yaml(path)
    try:
        parsed = CategoryFile.model_validate(raw)
    except ValidationError as error:
        raise CatalogueError(f"{path}: {_errors(error)}") from error
    services = []
    for position, item in enumerate(parsed.services):
        label = _service_label(item, position)
        try:
            services.append(Service.model_validate({**item, "category": parsed.category.id}))
        except ValidationError as error:
            raise CatalogueError(f"{path}: {label}: {_errors(error)}") from error
    return parsed.category, services


def read_agencies(*, path: Path) -> list[Agency]:
    """data/agencies.yml, validated."""
    raw = _read_yaml(path)
    items = raw.get("agencies") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise CatalogueError(f"{path}: expected a top-level 'agencies:' list")
    agencies = []
    for position, item in enumerate(items):
        try:
            agencies.append(Agency.model_validate(item))
        except ValidationError as error:
            label = _service_label(item, position).replace("service", "agency")
            raise CatalogueError(f"{path}: {label}: {_errors(error)}") from error
    return agencies


@dataclass(frozen=True)
class CatalogueData:
    """Everything in the files, validated and cross-checked."""

    categories: list[Category]
    services: list[Service]
    agencies: list[Agency]


def _unique(ids: Iterable[tuple[str, str]], what: str) -> None:
    seen: dict[str, str] = {}
    for item_id, where in ids:
        if item_id in seen:
            raise CatalogueError(f"{where}: {what} '{item_id}' is also defined in {seen[item_id]}")
        seen[item_id] = where


def read_data(*, data_dir: Path) -> CatalogueData:
    """Every category file and the agencies, with ids unique and agency references valid."""
    agencies_path = data_dir / "agencies.yml"
    agencies = read_agencies(path=agencies_path)
    _unique(((a.id, str(agencies_path)) for a in agencies), "agency")
    files = sorted((data_dir / "catalogue").glob("*.yml"))
    if not files:
        raise CatalogueError(f"{data_dir / 'catalogue'}: no category files (*.yml)")
    # Several files may share a category (one per topic within it): each repeats the
    # category as written in the first, and the categories keep their first file's order.
    categories: dict[str, tuple[Category, Path]] = {}
    located: list[tuple[Service, Path]] = []
    for path in files:
        category, found = read_category_file(path=path)
        first = categories.setdefault(category.id, (category, path))
        if first[0] != category:
            raise CatalogueError(
                f"{path}: category '{category.id}' differs from its definition in {first[1]}"
            )
        located.extend((service, path) for service in found)
    _unique(((s.id, str(p)) for s, p in located), "service")
    known = {a.id for a in agencies}
    for service, path in located:
        if service.agency not in known:
            raise CatalogueError(
                f"{path}: service '{service.id}': agency '{service.agency}' "
                f"is not in {agencies_path}"
            )
    # A category's services together, in file order (the seed numbers them per category).
    order = {category_id: i for i, category_id in enumerate(categories)}
    services = sorted((service for service, _ in located), key=lambda s: order[s.category])
    return CatalogueData(
        categories=[category for category, _ in categories.values()],
        services=services,
        agencies=agencies,
    )


@cache
def _analyzer() -> Analyzer:
    # The word list is the same for every catalogue: built once per process (~0.5 s).
    return make_analyzer()


@cache
def _stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())


def make_analyzer() -> Analyzer:
    """Segmentation with the NLU's own word list (PyThaiNLP + domain words + places).

    The catalogue's own names are deliberately not added: long compounds such as
    "บัตรประชาชนหาย" would then become single tokens and stop matching their parts.
    """
    from nlu.dictionary import collect_words, get_trie

    words = collect_words()
    trie: Trie = get_trie(words)
    return Analyzer(trie, _stopwords())


def service_document(service: Service) -> Document:
    """What the search sees of a service: names above keywords above the rest."""
    # Keywords of a few letters ("บัตร") would match nearly any question whole; longer
    # ones ("ทะเบียนบ้าน") are names in all but name.
    names = [service.title, *service.aliases, *(k for k in service.keywords if len(k) >= 4)]
    return Document(
        key=service.id,
        names=names,
        texts=[
            (" ".join(service.keywords), 2.0),
            (service.summary, 1.0),
            (" ".join(service.eligibility), 0.5),
            (" ".join(service.documents), 0.3),
        ],
    )


def agency_document(agency: Agency) -> Document:
    """What the directory search sees of an agency."""
    names = [agency.name, *agency.aliases, *([agency.name_en] if agency.name_en else [])]
    return Document(key=agency.id, names=names, texts=[(" ".join(agency.handles), 1.0)])


# (revision, data) of the catalogue's source; and its revision alone, cheaply.
Source = Callable[[], tuple[int, CatalogueData]]
Revision = Callable[[], int]


class Catalogue:
    """The services, categories and agencies, with their search indexes."""

    def __init__(
        self,
        *,
        data_dir: Path = DATA_DIR,
        source: Source | None = None,
        revision: Revision | None = None,
    ) -> None:
        """Reads and indexes `source` (the database), else `data_dir` (its catalogue/
        folder and agencies.yml)."""
        self.data_dir = data_dir
        self._source: Source = source or (lambda: (0, read_data(data_dir=data_dir)))
        self._revision_of = revision
        self._lock = threading.Lock()
        self.revision = -1
        self._load()

    def _load(self) -> None:
        revision, data = self._source()
        analyzer = _analyzer()
        services = Index.build([service_document(s) for s in data.services], analyzer)
        agencies = Index.build([agency_document(a) for a in data.agencies], analyzer)
        # Swapped in one assignment: a search never sees half of an old and a new index.
        self._state = (data, {s.id: s for s in data.services}, services, agencies)
        self.revision = revision

    def reload(self) -> None:
        """Re-reads the source and rebuilds the indexes; the old ones serve until done."""
        with self._lock:
            self._load()

    def fresh(self) -> Catalogue:
        """Itself, rebuilt first if its source has changed since it was built."""
        if self._revision_of is not None and self._revision_of() != self.revision:
            with self._lock:
                if self._revision_of() != self.revision:
                    self._load()
        return self

    @property
    def categories(self) -> list[Category]:
        """Categories in file order."""
        return list(self._state[0].categories)

    @property
    def services(self) -> list[Service]:
        """Every service."""
        return list(self._state[0].services)

    @property
    def agencies(self) -> list[Agency]:
        """Every agency."""
        return list(self._state[0].agencies)

    def get(self, service_id: str) -> Service | None:
        """A service by id."""
        return self._state[1].get(service_id)

    def get_agency(self, agency_id: str) -> Agency | None:
        """An agency by id."""
        return next((a for a in self._state[0].agencies if a.id == agency_id), None)

    def get_category(self, category_id: str) -> Category | None:
        """A category by id."""
        return next((c for c in self._state[0].categories if c.id == category_id), None)

    def by_category(self) -> list[CategoryRead]:
        """Categories with their services, in file order."""
        data = self._state[0]
        return [
            CategoryRead(
                id=c.id, title=c.title, services=[s for s in data.services if s.category == c.id]
            )
            for c in data.categories
        ]

    def search(self, *, query: str, limit: int = 5) -> list[Match]:
        """Services for a question, best first; only those worth showing at all.

        Only the best can be `confident` (see `is_confident`); the others are suggestions.
        """
        _, services, index, _ = self._state
        found = index.rank(query[:500], limit=max(2, limit))
        sure = is_confident(found)
        return [
            Match(
                service_id=s.key,
                title=services[s.key].title,
                category=services[s.key].category,
                score=round(s.score, 4),
                confidence=_confidence(s.score, SERVICE_THRESHOLD, answer=sure and i == 0),
                confident=sure and i == 0,
            )
            for i, s in enumerate(found[:limit])
            if s.score >= SERVICE_THRESHOLD * FLOOR
        ]

    def ranked(self, *, query: str, limit: int = 5) -> list[Scored]:
        """The raw ranking, threshold not applied (for calibration and diagnostics)."""
        return self._state[2].rank(query[:500], limit=limit)

    def search_agencies(self, *, query: str, limit: int = 3) -> list[AgencyMatch]:
        """Agencies for "how do I contact X", best first."""
        data, _, _, index = self._state
        names = {a.id: a.name for a in data.agencies}
        found = index.rank(query[:500], limit=limit)
        return [
            AgencyMatch(
                agency_id=s.key,
                name=names[s.key],
                score=round(s.score, 4),
                confidence=_confidence(s.score, AGENCY_THRESHOLD),
                confident=s.score >= AGENCY_THRESHOLD,
            )
            for s in found
            if s.score >= AGENCY_THRESHOLD * FLOOR
        ]


def is_confident(
    ranked: Sequence[Scored],
    *,
    threshold: float = SERVICE_THRESHOLD,
    margin: float = SERVICE_MARGIN,
    sure: float = SERVICE_SURE,
) -> bool:
    """Whether the best of `ranked` (highest first) is an answer, not a suggestion: above
    the threshold and clear of the runner-up by `margin`, or at least `sure`."""
    if not ranked or ranked[0].score < threshold:
        return False
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    return ranked[0].score - runner_up >= margin or ranked[0].score >= sure


def _confidence(score: float, threshold: float, *, answer: bool = True) -> float:
    """Maps the fused score to 0..1 so that the threshold reads as 0.5 on every index; a
    match that is not the answer (`answer` False) stays below 0.5 whatever its score."""
    if score < threshold or not answer:
        # Rounded for the API, a score just under the threshold must still read below 0.5.
        return min(0.4999, round(0.5 * score / threshold, 4))
    return round(min(1.0, 0.5 + 0.5 * (score - threshold) / (1.0 - threshold)), 4)


def load_catalogue(*, data_dir: Path = DATA_DIR) -> Catalogue:
    """The catalogue of `data_dir`'s files, validated and indexed (call once at start)."""
    return Catalogue(data_dir=data_dir)
