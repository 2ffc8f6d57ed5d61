"""Province/district gazetteer read from ``data/geo`` (pure, no Rasa)."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nlu.normalize import normalize

DEFAULT_GEO_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
GEO_FILES = ("provinces.csv", "districts.csv", "aliases.csv")
BANGKOK_ID = 1
KHET = "เขต"
MUEANG = "เมือง"


@dataclass(frozen=True)
class Province:
    """One of the 77 provinces."""

    id: int
    name: str
    name_en: str


@dataclass(frozen=True)
class District:
    """An amphoe or Bangkok khet; `name` is bare (no อำเภอ/เขต prefix)."""

    id: int
    name: str
    name_en: str
    province: str


@dataclass
class Gazetteer:
    """Official names plus the aliases citizens actually type."""

    provinces: list[Province]
    districts: list[District]
    province_aliases: dict[str, str] = field(default_factory=dict)
    prefix_only: list[str] = field(default_factory=list)
    # alias -> [district name, province name]; these match without อ./อำเภอ/เขต
    district_aliases: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Serialise to JSON-friendly data (persisted inside trained models)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gazetteer:
        """Inverse of `to_dict`."""
        return cls(
            provinces=[Province(**p) for p in data["provinces"]],
            districts=[District(**d) for d in data["districts"]],
            province_aliases=dict(data.get("province_aliases", {})),
            prefix_only=list(data.get("prefix_only", [])),
            district_aliases={k: list(v) for k, v in data.get("district_aliases", {}).items()},
        )

    def words(self) -> list[str]:
        """Thai surface forms worth keeping whole in the tokenizer dictionary."""
        names = {p.name for p in self.provinces}
        names.update(d.name for d in self.districts)
        names.update(d.name.replace("-", "") for d in self.districts if "-" in d.name)
        names.update(self.province_aliases)
        names.update(self.district_aliases)
        return sorted(w for w in names if w and not w.isascii())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_gazetteer(geo_dir: str | Path | None = None) -> Gazetteer:
    """Read provinces.csv, districts.csv and aliases.csv from `geo_dir`."""
    base = Path(geo_dir) if geo_dir else DEFAULT_GEO_DIR
    provinces = [
        Province(id=int(r["id"]), name=normalize(r["name_th"]), name_en=r["name_en"].strip())
        for r in _read_csv(base / "provinces.csv")
    ]
    by_id = {p.id: p.name for p in provinces}
    districts = []
    for row in _read_csv(base / "districts.csv"):
        province_id = int(row["province_id"])
        name = normalize(row["name_th"])
        if province_id == BANGKOK_ID and name.startswith(KHET):
            name = name[len(KHET) :]
        districts.append(
            District(
                id=int(row["id"]),
                name=name,
                name_en=row["name_en"].strip(),
                province=by_id[province_id],
            )
        )
    gazetteer = Gazetteer(provinces=provinces, districts=districts)
    known_provinces = set(by_id.values())
    known_districts = {(d.name, d.province) for d in districts}
    for row in _read_csv(base / "aliases.csv"):
        kind = row["kind"].strip()
        alias = normalize(row["alias"]).lower()
        name = normalize(row["name"])
        province = normalize(row.get("province") or "")
        if kind in ("province", "prefix_only") and name not in known_provinces:
            raise ValueError(f"aliases.csv: unknown province {name!r}")
        if kind == "district" and (name, province) not in known_districts:
            raise ValueError(f"aliases.csv: unknown district {name!r} in {province!r}")
        if kind == "province":
            gazetteer.province_aliases[alias] = name
        elif kind == "prefix_only":
            gazetteer.prefix_only.append(name)
        elif kind == "district":
            gazetteer.district_aliases[alias] = [name, province]
        else:
            raise ValueError(f"aliases.csv: unknown kind {kind!r}")
    return gazetteer


def files_digest(paths: list[Path]) -> str:
    """SHA-256 over the bytes of existing files (for Rasa's fingerprint_addon)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.name).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def geo_files(geo_dir: str | Path | None = None) -> list[Path]:
    """The gazetteer files under `geo_dir` (default ``data/geo``)."""
    base = Path(geo_dir) if geo_dir else DEFAULT_GEO_DIR
    return [base / name for name in GEO_FILES]
