"""Complaint routing: complaint type × province/district → the responsible agency.

All of it is data: data/routing.yml (rules, generated offices, due days), data/agencies.yml
(the agencies) and data/geo/*.csv (provinces and districts). `Router.load()` reads and
cross-checks them once; a wrong name anywhere is a RoutingError naming the file and rule.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.catalogue.schemas import Agency as AgencyEntry
from bot.config import ROOT

log = logging.getLogger(__name__)

DATA_DIR = ROOT / "data"
BANGKOK = "กรุงเทพมหานคร"
_AMPHOE = "อำเภอ"
_KHET = "เขต"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

Per = Literal["province", "district"]


@dataclass(frozen=True)
class Agency:
    """A routing target: an agency of data/agencies.yml or an office generated per place."""

    id: str
    name: str
    hotline: str
    parent_id: str | None


@dataclass(frozen=True)
class Route:
    """Where a complaint goes, when it is due, and which rule decided it."""

    agency: Agency
    due_business_days: int
    rule: str


class RoutingError(Exception):
    """The routing data is wrong; the message names the file and the rule."""


# ---- The shape of data/routing.yml ----


class _Data(BaseModel):
    # A misspelt key must fail loudly, not silently drop a condition.
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Generated(_Data):
    agency: str
    per: Per
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    hotline: str | None = None
    provinces: list[str] | None = None
    not_provinces: list[str] | None = None
    names: dict[str, str] = {}

    @model_validator(mode="after")
    def _check(self) -> _Generated:
        if self.provinces is not None and self.not_provinces is not None:
            raise ValueError("give provinces or not_provinces, not both")
        if self.names and self.per != "province":
            raise ValueError("names overrides are for per: province only")
        return self


class _Rule(_Data):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    types: list[str] | None = Field(default=None, min_length=1)
    provinces: list[str] | None = Field(default=None, min_length=1)
    not_provinces: list[str] | None = Field(default=None, min_length=1)
    requires: Per | None = None
    agency: str
    per: Per | None = None

    @model_validator(mode="after")
    def _check(self) -> _Rule:
        if self.provinces is not None and self.not_provinces is not None:
            raise ValueError("give provinces or not_provinces, not both")
        return self

    @property
    def unconditional(self) -> bool:
        return (
            self.types is None
            and self.provinces is None
            and self.not_provinces is None
            and self.requires is None
        )

    def matches(self, complaint_type: str, place: _Place) -> bool:
        province = place.province
        if self.types is not None and complaint_type not in self.types:
            return False
        if self.provinces is not None and (province is None or province.name not in self.provinces):
            return False
        if self.not_provinces is not None and (
            province is None or province.name in self.not_provinces
        ):
            return False
        if self.requires == "province" and province is None:
            return False
        return not (self.requires == "district" and place.district is None)


class _RoutingFile(_Data):
    due_business_days: dict[str, int]
    generated: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = Field(min_length=1)


# ---- Geography (data/geo) ----


@dataclass(frozen=True)
class _Province:
    id: int
    name: str

    @property
    def full(self) -> str:
        return self.name if self.name == BANGKOK else f"จังหวัด{self.name}"


@dataclass(frozen=True)
class _District:
    id: int
    name: str
    province: _Province

    @property
    def full(self) -> str:
        # Bangkok's khet already carry their prefix in districts.csv.
        return self.name if self.province.name == BANGKOK else f"{_AMPHOE}{self.name}"


@dataclass(frozen=True)
class _Place:
    province: _Province | None
    district: _District | None


class _Geo:
    """Provinces and districts of data/geo, looked up by their Thai names."""

    def __init__(self, geo_dir: Path) -> None:
        provinces = [
            _Province(id=int(row["id"]), name=row["name_th"].strip())
            for row in _read_csv(geo_dir / "provinces.csv")
        ]
        self.provinces = {p.name: p for p in provinces}
        by_id = {p.id: p for p in provinces}
        self.districts: list[_District] = []
        for row in _read_csv(geo_dir / "districts.csv"):
            province = by_id.get(int(row["province_id"]))
            if province is None:
                raise RoutingError(
                    f"{geo_dir / 'districts.csv'}: district {row['id']} has an unknown province"
                )
            self.districts.append(
                _District(id=int(row["id"]), name=row["name_th"].strip(), province=province)
            )
        self._by_name: dict[str, list[_District]] = {}
        for district in self.districts:
            self._by_name.setdefault(district.name, []).append(district)

    def in_scope(self, provinces: list[str] | None, not_provinces: list[str] | None) -> list[str]:
        """Province names kept by a provinces / not_provinces filter."""
        if provinces is not None:
            return provinces
        excluded = set(not_provinces or [])
        return [name for name in self.provinces if name not in excluded]

    def _district(self, name: str, province: _Province | None) -> _District | None:
        # Accept "เมืองเชียงใหม่" (as in the csv), "อำเภอเมืองเชียงใหม่", and Bangkok's khet
        # with or without "เขต" (the NLU gazetteer hands them over bare).
        bare = name
        for prefix in (_AMPHOE, "อ.", _KHET):
            if bare.startswith(prefix):
                bare = bare[len(prefix) :].strip()
                break
        found: list[_District] = []
        for candidate in dict.fromkeys((name, bare, _KHET + bare)):
            found += [
                d
                for d in self._by_name.get(candidate, [])
                if province is None or d.province == province
            ]
        return found[0] if len(found) == 1 else None

    def place(self, province: str | None, district: str | None) -> _Place:
        """The known province/district; parts that are not in the geo data count as unknown."""
        found_province: _Province | None = None
        if province and province.strip():
            found_province = self.provinces.get(province.strip())
            if found_province is None:
                log.warning("routing: province not in data/geo, routed without it")
        found_district: _District | None = None
        if district and district.strip():
            found_district = self._district(district.strip(), found_province)
            if found_district is None:
                log.warning("routing: district unknown or ambiguous, routed without it")
        if found_district is not None:
            found_province = found_district.province
        return _Place(province=found_province, district=found_district)


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RoutingError(f"{path}: cannot read: {error}") from error


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RoutingError(f"{path}: cannot read: {error}") from error


def _errors(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
    )


def _label(kind: str, raw: Any, position: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return f"{kind} '{raw['id']}'"
    return f"{kind} #{position + 1}"


def _read_agencies(path: Path) -> dict[str, Agency]:
    raw = _read_yaml(path)
    items = raw.get("agencies") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise RoutingError(f"{path}: expected a top-level 'agencies:' list")
    agencies: dict[str, Agency] = {}
    for position, item in enumerate(items):
        try:
            entry = AgencyEntry.model_validate(item)
        except ValidationError as error:
            raise RoutingError(
                f"{path}: {_label('agency', item, position)}: {_errors(error)}"
            ) from error
        if entry.id in agencies:
            raise RoutingError(f"{path}: agency '{entry.id}' is defined twice")
        agencies[entry.id] = Agency(
            id=entry.id, name=entry.name, hotline=entry.hotline or "", parent_id=None
        )
    return agencies


# ---- The router ----


class Router:
    """Routes complaints by the first matching rule of data/routing.yml."""

    def __init__(
        self,
        *,
        rules: list[_Rule],
        due: dict[str, int],
        agencies: dict[str, Agency],
        generated: dict[tuple[str, Per], dict[int, Agency]],
        geo: _Geo,
    ) -> None:
        self._rules = rules
        self._due = due
        self._agencies = agencies
        # (parent agency, per) → {province or district id → generated office}
        self._generated = generated
        self._geo = geo
        self._all = dict(agencies)
        for offices in generated.values():
            self._all.update((a.id, a) for a in offices.values())

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> Router:
        """Reads and cross-checks routing.yml, agencies.yml and geo/*.csv under `data_dir`."""
        path = data_dir / "routing.yml"
        agencies = _read_agencies(data_dir / "agencies.yml")
        geo = _Geo(data_dir / "geo")
        try:
            parsed = _RoutingFile.model_validate(_read_yaml(path))
        except ValidationError as error:
            raise RoutingError(f"{path}: {_errors(error)}") from error
        due = _check_due(path, parsed.due_business_days)
        generated = _build_generated(path, parsed.generated, agencies, geo)
        rules = _build_rules(path, parsed.rules, due, agencies, generated, geo)
        return cls(rules=rules, due=due, agencies=agencies, generated=generated, geo=geo)

    def route(
        self, complaint_type: str, province: str | None = None, district: str | None = None
    ) -> Route:
        """The agency for a complaint. Province/district: Thai names of data/geo (None when
        not given; a name not found there is treated as not given). Unknown type: ValueError."""
        due = self._due.get(complaint_type)
        if due is None:
            raise ValueError(f"unknown complaint type {complaint_type!r}")
        place = self._geo.place(province, district)
        for rule in self._rules:
            if rule.matches(complaint_type, place):
                return Route(agency=self._target(rule, place), due_business_days=due, rule=rule.id)
        raise AssertionError("the catch-all rule matches every complaint")  # checked at load

    def _target(self, rule: _Rule, place: _Place) -> Agency:
        # The most precise office the place allows: district, else province, else the agency.
        if rule.per == "district" and place.district is not None:
            office = self._generated.get((rule.agency, "district"), {}).get(place.district.id)
            if office is not None:
                return office
        if rule.per is not None and place.province is not None:
            office = self._generated.get((rule.agency, "province"), {}).get(place.province.id)
            if office is not None:
                return office
        return self._agencies[rule.agency]

    def agency(self, agency_id: str) -> Agency:
        """Any routing target by id, generated ones included; KeyError when unknown."""
        return self._all[agency_id]

    def agencies(self) -> list[Agency]:
        """Every agency of agencies.yml, then every generated office."""
        return list(self._all.values())

    def due_business_days(self, complaint_type: str) -> int:
        """Business days allowed for a complaint type; ValueError when unknown."""
        try:
            return self._due[complaint_type]
        except KeyError:
            raise ValueError(f"unknown complaint type {complaint_type!r}") from None


# ---- Loading and cross-checking ----


def _check_due(path: Path, due: dict[str, int]) -> dict[str, int]:
    if not due:
        raise RoutingError(f"{path}: due_business_days lists no complaint type")
    for complaint_type, days in due.items():
        if not 1 <= days <= 365:
            raise RoutingError(
                f"{path}: due_business_days: {complaint_type}: {days} is not within 1..365"
            )
    return dict(due)


def _unknown_provinces(names: Iterable[str], geo: _Geo) -> list[str]:
    return [name for name in names if name not in geo.provinces]


def _build_generated(
    path: Path, items: list[dict[str, Any]], agencies: dict[str, Agency], geo: _Geo
) -> dict[tuple[str, Per], dict[int, Agency]]:
    generated: dict[tuple[str, Per], dict[int, Agency]] = {}
    ids = set(agencies)
    for position, item in enumerate(items):
        label = f"generated #{position + 1}"
        try:
            family = _Generated.model_validate(item)
        except ValidationError as error:
            raise RoutingError(f"{path}: {label}: {_errors(error)}") from error
        label = f"generated '{family.agency}' per {family.per}"
        parent = agencies.get(family.agency)
        if parent is None:
            raise RoutingError(f"{path}: {label}: unknown agency '{family.agency}'")
        if (family.agency, family.per) in generated:
            raise RoutingError(f"{path}: {label}: defined twice")
        unknown = _unknown_provinces(
            [*(family.provinces or []), *(family.not_provinces or []), *family.names], geo
        )
        if unknown:
            raise RoutingError(f"{path}: {label}: unknown province(s) {unknown}")
        scope = geo.in_scope(family.provinces, family.not_provinces)
        stray = [name for name in family.names if name not in scope]
        if stray:
            raise RoutingError(f"{path}: {label}: names for provinces out of scope {stray}")
        hotline = parent.hotline if family.hotline is None else family.hotline
        offices: dict[int, Agency] = {}
        for province_name in scope:
            province = geo.provinces[province_name]
            if family.per == "province":
                places: list[tuple[int, dict[str, Any]]] = [(province.id, _fields(province))]
            else:
                places = [
                    (d.id, _fields(province, d)) for d in geo.districts if d.province == province
                ]
            for place_id, fields in places:
                try:
                    office_id = family.id.format_map(fields)
                    name = family.name.format_map(fields)
                except (KeyError, ValueError, IndexError) as error:
                    raise RoutingError(
                        f"{path}: {label}: bad template placeholder {error} "
                        f"(per {family.per} knows {sorted(fields)})"
                    ) from error
                if family.per == "province":
                    name = family.names.get(province_name, name)
                if not office_id.isascii() or not _ID_RE.fullmatch(office_id):
                    raise RoutingError(
                        f"{path}: {label}: id '{office_id}' must be lower-case ASCII "
                        "letters, digits, '-' or '_'"
                    )
                if office_id in ids:
                    raise RoutingError(
                        f"{path}: {label}: id '{office_id}' is not unique "
                        "(the template needs the place's id)"
                    )
                ids.add(office_id)
                offices[place_id] = Agency(
                    id=office_id, name=name, hotline=hotline, parent_id=family.agency
                )
        generated[(family.agency, family.per)] = offices
    return generated


def _covers(offices: dict[int, Agency], per: Per, province: _Province, geo: _Geo) -> bool:
    if per == "province":
        return province.id in offices
    return any(d.id in offices for d in geo.districts if d.province == province)


def _fields(province: _Province, district: _District | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "province": province.name,
        "province_full": province.full,
        "province_id": province.id,
    }
    if district is not None:
        fields |= {
            "district": district.name,
            "district_full": district.full,
            "district_id": district.id,
        }
    return fields


def _build_rules(
    path: Path,
    items: list[dict[str, Any]],
    due: dict[str, int],
    agencies: dict[str, Agency],
    generated: dict[tuple[str, Per], dict[int, Agency]],
    geo: _Geo,
) -> list[_Rule]:
    rules: list[_Rule] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        label = _label("rule", item, position)
        try:
            rule = _Rule.model_validate(item)
        except ValidationError as error:
            raise RoutingError(f"{path}: {label}: {_errors(error)}") from error
        if rule.id in seen:
            raise RoutingError(f"{path}: {label}: the id is used twice")
        seen.add(rule.id)
        unknown_types = [t for t in rule.types or [] if t not in due]
        if unknown_types:
            raise RoutingError(
                f"{path}: {label}: unknown complaint type(s) {unknown_types} "
                "(not in due_business_days)"
            )
        if rule.agency not in agencies:
            raise RoutingError(
                f"{path}: {label}: unknown agency '{rule.agency}' (not in agencies.yml)"
            )
        unknown = _unknown_provinces([*(rule.provinces or []), *(rule.not_provinces or [])], geo)
        if unknown:
            raise RoutingError(f"{path}: {label}: unknown province(s) {unknown}")
        if rule.per is not None:
            offices = generated.get((rule.agency, rule.per))
            if offices is None:
                raise RoutingError(
                    f"{path}: {label}: per {rule.per}, but no generated offices of "
                    f"'{rule.agency}' per {rule.per}"
                )
            missing = [
                name
                for name in rule.provinces or []
                if not _covers(offices, rule.per, geo.provinces[name], geo)
            ]
            if missing:
                raise RoutingError(
                    f"{path}: {label}: '{rule.agency}' has no offices per {rule.per} in {missing}"
                )
        if rule.unconditional and position != len(items) - 1:
            raise RoutingError(
                f"{path}: {label}: matches every complaint, so the rules after it never apply"
            )
        rules.append(rule)
    if not rules[-1].unconditional:
        raise RoutingError(
            f"{path}: the last rule ('{rules[-1].id}') must be a catch-all without conditions "
            "(no types, provinces, not_provinces or requires), so every complaint is routed"
        )
    return rules
