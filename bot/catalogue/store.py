"""The catalogue's entries in the database: seed, read, change, history, import, export.

Every change goes through `save`, which validates the whole entry with the schemas of
bot.catalogue.schemas (and its references: a service's agency and category must exist),
bumps the entry's version, writes a `CatalogueRevision` with who and why, and audits it.
A stale form (someone saved in between) is refused rather than overwriting their change.
The files under data/ are the seed and the export format (`export_files`/`import_files`
round-trip losslessly).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.catalogue.models import (
    CatalogueEntry,
    CatalogueQuestion,
    CatalogueRevision,
    ServiceFeedback,
)
from bot.catalogue.schemas import Agency, Category, Service
from bot.catalogue.service import (
    DATA_DIR,
    Catalogue,
    CatalogueData,
    read_data,
)
from bot.db import utcnow
from bot.errors import Invalid, NotFound
from bot.staff import scope as scopes
from bot.staff.auth import StaffUser, audit

REVIEW_DAYS = 180  # a verified entry is due for review this long after it was confirmed
Model = Category | Agency | Service
SCHEMAS: dict[str, type[Model]] = {"category": Category, "agency": Agency, "service": Service}
# Stored as JSON; the category is where a service is filed, kept in its entry like the rest.
VOTES = ("helpful", "unhelpful", "wrong")


# What staff see of a field in an error: its Thai label with the English key they know.
FIELD_TH = {
    "id": "รหัส (id)",
    "title": "ชื่อบริการ (title)",
    "name": "ชื่อหน่วยงาน (name)",
    "name_en": "ชื่อภาษาอังกฤษ (name_en)",
    "aliases": "ชื่อเรียกอื่น (aliases)",
    "keywords": "คำค้น (keywords)",
    "agency": "หน่วยงาน (agency)",
    "owner": "หน่วยงานเจ้าของข้อมูล (owner)",
    "category": "หมวด (category)",
    "summary": "สรุป (summary)",
    "eligibility": "คุณสมบัติ (eligibility)",
    "documents": "เอกสาร (documents)",
    "fees": "ค่าธรรมเนียม (fees)",
    "processing_time": "ระยะเวลา (processing_time)",
    "where": "สถานที่ยื่น (where)",
    "hotline": "สายด่วน (hotline)",
    "online": "ช่องทางออนไลน์ (online)",
    "source": "แหล่งที่มา (source)",
    "website": "เว็บไซต์ (website)",
    "office": "ที่ตั้ง (office)",
    "handles": "เรื่องที่ดูแล (handles)",
    "kind": "ประเภทหน่วยงาน (kind)",
}


def problem(error: dict[str, Any]) -> str:
    """One validation error in Thai: the field, then what is wrong with it."""
    loc = [str(p) for p in error["loc"]]
    field = FIELD_TH.get(loc[0], loc[0]) if loc else "รายการ"
    if len(loc) > 1:
        field += " " + ".".join(loc[1:])
    kind, limits = error["type"], error.get("ctx") or {}
    message = str(error.get("msg", ""))
    if kind == "string_too_long":
        what = f"ยาวเกิน {limits.get('max_length')} ตัวอักษร"
    elif kind in ("string_too_short", "missing"):
        what = "ต้องกรอก"
    elif kind == "too_long":
        what = f"มีได้ไม่เกิน {limits.get('max_length')} รายการ"
    elif kind == "string_pattern_mismatch" and loc and loc[0] == "id":
        what = "ใช้ได้เฉพาะ a-z 0-9 และ _ ขึ้นต้นด้วยตัวอักษร"
    elif kind == "string_pattern_mismatch":
        what = "รูปแบบไม่ถูกต้อง"
    elif "https://" in message:
        what = "ต้องเป็นลิงก์ที่ขึ้นต้นด้วย https://"
    elif "plain text" in message:
        what = "ต้องเป็นข้อความธรรมดา ห้ามมีแท็ก HTML หรือสคริปต์"
    elif kind == "extra_forbidden":
        what = "ไม่มีช่องนี้"
    else:
        what = message.removeprefix("Value error, ")
    return f"{field}: {what}"


class Stale(Invalid):
    """The entry changed since the form was opened."""


def revision(session: Session) -> int:
    """The catalogue's revision: the newest change's id (0 when never seeded)."""
    return int(session.scalar(select(func.max(CatalogueRevision.id))) or 0)


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def _owner(kind: str, model: Model) -> str | None:
    if isinstance(model, Service):
        return model.owner_agency
    if isinstance(model, Agency):
        return model.id
    return None


def _record(
    session: Session,
    entry: CatalogueEntry,
    action: str,
    staff: StaffUser | None,
    note: str | None = None,
) -> None:
    """Stamps the entry's change (who, when) and keeps its new version in the history."""
    entry.updated_at = utcnow()
    entry.updated_by = staff.id if staff else None
    session.flush()
    session.add(
        CatalogueRevision(
            kind=entry.kind,
            key=entry.key,
            version=entry.version,
            data=entry.data,
            retired=entry.retired,
            action=action,
            note=note,
            staff_id=staff.id if staff else None,
        )
    )


def _positioned(data: CatalogueData) -> list[tuple[str, Model, int]]:
    # Services are numbered within their category, so a change in one file moves no other.
    within: dict[str, int] = {}
    services: list[tuple[str, Model, int]] = []
    for service in data.services:
        within[service.category] = within.get(service.category, -1) + 1
        services.append(("service", service, within[service.category]))
    return [
        *(("category", c, i) for i, c in enumerate(data.categories)),
        *(("agency", a, i) for i, a in enumerate(data.agencies)),
        *services,
    ]


def seed(session: Session, data: CatalogueData) -> bool:
    """Fills an empty catalogue from the files' data; False when it already has entries
    (another process seeded it first, or staff have been editing)."""
    if session.scalar(select(CatalogueEntry.key).limit(1)) is not None:
        return False
    models = _positioned(data)
    try:
        with session.begin_nested():
            for kind, model, position in models:
                entry = CatalogueEntry(
                    kind=kind,
                    key=model.id,
                    data=_dump(model),
                    owner=_owner(kind, model),
                    position=position,
                )
                session.add(entry)
                _record(session, entry, "seed", None)
    except IntegrityError:
        return False  # seeded by another process in the meantime
    return True


def read(session: Session) -> CatalogueData:
    """The live catalogue (retired entries left out), in the files' order."""
    rows = session.scalars(
        select(CatalogueEntry)
        .where(CatalogueEntry.retired.is_(False))
        .order_by(CatalogueEntry.kind, CatalogueEntry.position, CatalogueEntry.key)
    ).all()
    categories = [Category.model_validate(r.data) for r in rows if r.kind == "category"]
    agencies = [Agency.model_validate(r.data) for r in rows if r.kind == "agency"]
    order = {c.id: i for i, c in enumerate(categories)}
    services = sorted(
        (Service.model_validate(r.data) for r in rows if r.kind == "service"),
        key=lambda s: order.get(s.category, len(order)),
    )
    return CatalogueData(categories=categories, services=services, agencies=agencies)


def entry(session: Session, kind: str, key: str) -> CatalogueEntry | None:
    """One entry, retired or not."""
    return session.get(CatalogueEntry, (kind, key))


def may_edit(staff: StaffUser, kind: str, owner: str | None) -> bool:
    """Admins edit everything; an agency's content owners their agency's services and
    its own directory entry. Categories are admins' only."""
    if staff.role == "admin" and staff.agency_id is None:
        return True
    if not staff.catalogue_owner or kind == "category" or owner is None:
        return False
    return scopes.visible(owner, [staff.agency_id] if staff.agency_id else [])


def current(
    session: Session, staff: StaffUser, kind: str, key: str, version: int
) -> CatalogueEntry:
    """The entry the officer may edit, as long as nobody saved it since they opened it
    (`version`, from their form); Stale otherwise."""
    found = editable(session, staff, kind, key)
    if found.version != version:
        raise Stale("มีผู้บันทึกรายการนี้หลังจากที่คุณเปิด โปรดเปิดใหม่แล้วลองอีกครั้ง")
    return found


def editable(session: Session, staff: StaffUser, kind: str, key: str) -> CatalogueEntry:
    """The entry if `staff` may edit it; NotFound otherwise (another agency's entry is
    not told apart from one that does not exist)."""
    found = entry(session, kind, key)
    if found is None or not may_edit(staff, kind, found.owner):
        raise NotFound(f"no {kind} {key}")
    return found


def _validate(session: Session, kind: str, data: dict[str, Any]) -> Model:
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise Invalid(f"unknown kind {kind}")
    try:
        model = schema.model_validate(data)
    except ValidationError as error:
        raise Invalid("; ".join(problem(dict(e)) for e in error.errors())) from error
    if isinstance(model, Service):
        for ref_kind, ref in (("agency", model.agency), ("category", model.category)):
            found = entry(session, ref_kind, ref)
            if found is None or found.retired:
                raise Invalid(f"{FIELD_TH[ref_kind]}: ไม่มี '{ref}'")
        if model.owner:
            found = entry(session, "agency", model.owner)
            if found is None or found.retired:
                raise Invalid(f"{FIELD_TH['owner']}: ไม่มี '{model.owner}'")
    return model


def save(
    session: Session,
    staff: StaffUser,
    kind: str,
    data: dict[str, Any],
    *,
    version: int | None,
    verified: bool = False,
    note: str | None = None,
    today: date,
) -> CatalogueEntry:
    """Creates (`version` None) or edits an entry. `verified`: the editor confirmed the
    entry against its source today, so it shows as verified by them until the review
    date; an edit without that confirmation leaves the entry unverified."""
    data = dict(data)
    if kind == "service":
        data.pop("verified_by", None)
        data.pop("verified_at", None)
        data.pop("review_due", None)
        if verified:
            data["verified_by"] = staff.display_name
            data["verified_at"] = today.isoformat()
            data["review_due"] = (today + timedelta(days=REVIEW_DAYS)).isoformat()
    model = _validate(session, kind, data)
    key = str(model.id)
    owner = _owner(kind, model)
    if not may_edit(staff, kind, owner):
        raise NotFound(f"no {kind} {key}")
    found = entry(session, kind, key)
    if version is None:
        if found is not None:
            raise Invalid(f"{FIELD_TH['id']}: '{key}' มีอยู่แล้ว ใช้รหัสอื่น")
        position = session.scalar(
            select(func.max(CatalogueEntry.position)).where(CatalogueEntry.kind == kind)
        )
        found = CatalogueEntry(
            kind=kind, key=key, data=_dump(model), owner=owner, position=(position or 0) + 1
        )
        session.add(found)
        action = "create"
    else:
        found = current(session, staff, kind, key, version)
        if found.owner != owner and not may_edit(staff, kind, found.owner):
            raise NotFound(f"no {kind} {key}")
        found.data = _dump(model)
        found.owner = owner
        found.version += 1
        action = "verify" if verified and kind == "service" else "edit"
    _record(session, found, action, staff, note)
    audit(session, staff, f"catalogue_{action}", f"{kind}:{key}", version=found.version)
    return found


def set_retired(
    session: Session, staff: StaffUser, kind: str, key: str, *, retired: bool, version: int
) -> CatalogueEntry:
    """Retires an entry (citizens no longer see it; its history stays) or restores it."""
    found = current(session, staff, kind, key, version)
    if retired and kind in ("agency", "category"):
        field = "agency" if kind == "agency" else "category"
        users = [
            e.key
            for e in session.scalars(
                select(CatalogueEntry).where(
                    CatalogueEntry.kind == "service", CatalogueEntry.retired.is_(False)
                )
            )
            if e.data.get(field) == key or (kind == "agency" and e.data.get("owner") == key)
        ]
        if users:
            raise Invalid(f"ยังมีบริการที่ใช้อยู่: {', '.join(sorted(users)[:10])}")
    if not retired:
        _validate(session, kind, found.data)
    found.retired = retired
    found.version += 1
    action = "retire" if retired else "restore"
    _record(session, found, action, staff)
    audit(session, staff, f"catalogue_{action}", f"{kind}:{key}", version=found.version)
    return found


def revert(
    session: Session, staff: StaffUser, kind: str, key: str, *, to_version: int, version: int
) -> CatalogueEntry:
    """Makes an earlier version current again (as a new version, so nothing is lost)."""
    found = current(session, staff, kind, key, version)
    old = session.scalar(
        select(CatalogueRevision).where(
            CatalogueRevision.kind == kind,
            CatalogueRevision.key == key,
            CatalogueRevision.version == to_version,
        )
    )
    if old is None:
        raise NotFound(f"no version {to_version} of {kind} {key}")
    model = _validate(session, kind, old.data)
    if _owner(kind, model) != found.owner and not may_edit(staff, kind, _owner(kind, model)):
        raise NotFound(f"no {kind} {key}")
    found.data = _dump(model)
    found.owner = _owner(kind, model)
    found.retired = old.retired
    found.version += 1
    _record(session, found, "revert", staff, f"version {to_version}")
    audit(session, staff, "catalogue_revert", f"{kind}:{key}", to_version=to_version)
    return found


def history(session: Session, kind: str, key: str) -> list[tuple[CatalogueRevision, str | None]]:
    """Every version of an entry, newest first, with the name of who saved it."""
    from bot.staff.models import Staff

    rows = session.execute(
        select(CatalogueRevision, Staff.display_name)
        .outerjoin(Staff, Staff.id == CatalogueRevision.staff_id)
        .where(CatalogueRevision.kind == kind, CatalogueRevision.key == key)
        .order_by(CatalogueRevision.version.desc())
    ).all()
    return [(r, name) for r, name in rows]


def as_yaml(data: dict[str, Any]) -> str:
    """An entry as the files write it (for diffs and export)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """The lines that changed between two versions, as a unified diff."""
    before = as_yaml(old).splitlines() if old else []
    return list(
        difflib.unified_diff(before, as_yaml(new).splitlines(), "ก่อน", "หลัง", lineterm="", n=1)
    )


# Review ---------------------------------------------------------------------------------


def due_for_review(
    session: Session, *, scope: scopes.Scope, today: date, within_days: int = 30
) -> list[tuple[Service, str]]:
    """Live services of `scope` that are unverified, overdue or due within `within_days`,
    each with why: "unverified", "overdue" or "due"."""
    out: list[tuple[Service, str]] = []
    for row in session.scalars(
        select(CatalogueEntry).where(
            CatalogueEntry.kind == "service",
            CatalogueEntry.retired.is_(False),
            scopes.clause(CatalogueEntry.owner, scope),
        )
    ):
        service = Service.model_validate(row.data)
        if service.verified_at is None:
            out.append((service, "unverified"))
        elif service.review_due is not None and service.review_due < today:
            out.append((service, "overdue"))
        elif service.review_due is not None and service.review_due <= today + timedelta(
            days=within_days
        ):
            out.append((service, "due"))
    rank = {"overdue": 0, "due": 1, "unverified": 2}
    out.sort(key=lambda pair: (rank[pair[1]], pair[0].review_due or date.max, pair[0].id))
    return out


def review_counts(session: Session, *, today: date) -> dict[str, int]:
    """How many live services are verified, overdue for review, or never verified."""
    counts = {"verified": 0, "overdue": 0, "unverified": 0}
    for data in session.scalars(
        select(CatalogueEntry.data).where(
            CatalogueEntry.kind == "service", CatalogueEntry.retired.is_(False)
        )
    ):
        service = Service.model_validate(data)
        if service.verified_at is None:
            counts["unverified"] += 1
        elif service.verified_on(today) is None:
            counts["overdue"] += 1
        else:
            counts["verified"] += 1
    return counts


# Citizens' feedback ---------------------------------------------------------------------


def record_feedback(
    session: Session, citizen_id: int, service_id: str, vote: str, note: str | None = None
) -> ServiceFeedback:
    """A citizen's vote on a service card (their latest replaces an earlier one)."""
    if vote not in VOTES:
        raise Invalid(f"vote must be one of {', '.join(VOTES)}")
    found = session.scalar(
        select(ServiceFeedback).where(
            ServiceFeedback.citizen_id == citizen_id, ServiceFeedback.service_id == service_id
        )
    )
    if found is None:
        found = ServiceFeedback(citizen_id=citizen_id, service_id=service_id, vote=vote)
        session.add(found)
    found.vote = vote
    found.note = note[:500] if note else (found.note if vote == "wrong" else None)
    found.created_at = utcnow()
    session.flush()
    return found


def feedback_counts(session: Session, service_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """Votes per service: {service_id: {helpful, unhelpful, wrong}}."""
    ids = list(service_ids)
    counts: dict[str, dict[str, int]] = {i: dict.fromkeys(VOTES, 0) for i in ids}
    if not ids:
        return counts
    for service_id, vote, count in session.execute(
        select(ServiceFeedback.service_id, ServiceFeedback.vote, func.count())
        .where(ServiceFeedback.service_id.in_(ids))
        .group_by(ServiceFeedback.service_id, ServiceFeedback.vote)
    ):
        counts[service_id][vote] = count
    return counts


def feedback_notes(session: Session, service_id: str, limit: int = 20) -> list[ServiceFeedback]:
    """The newest "ข้อมูลไม่ถูกต้อง" reports of a service, with their notes."""
    return list(
        session.scalars(
            select(ServiceFeedback)
            .where(ServiceFeedback.service_id == service_id, ServiceFeedback.vote == "wrong")
            .order_by(ServiceFeedback.created_at.desc())
            .limit(limit)
        )
    )


def record_question(
    session: Session, citizen_id: int | None, text: str, best_service: str | None
) -> None:
    """A question the catalogue had no confident answer for (for the NLU inbox)."""
    words = " ".join(text.split())[:1000]
    if words:
        session.add(CatalogueQuestion(text=words, citizen_id=citizen_id, best_service=best_service))


# Files ----------------------------------------------------------------------------------


def export_data(session: Session) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(agencies.yml document, {category id: catalogue/<id>.yml document}) of the live
    catalogue, in the files' shape."""
    data = read(session)
    agencies = {"agencies": [_dump(a) for a in data.agencies]}
    files: dict[str, dict[str, Any]] = {}
    for category in data.categories:
        services = []
        for service in data.services:
            if service.category == category.id:
                dumped = _dump(service)
                dumped.pop("category", None)
                services.append(dumped)
        files[category.id] = {"category": _dump(category), "services": services}
    return agencies, files


def export_files(session: Session, data_dir: Path) -> int:
    """Writes the live catalogue as data_dir/agencies.yml and data_dir/catalogue/*.yml;
    the number of services written. The folder's layout is kept: a service stays in the
    file that holds it there (a category may span several files), a new one goes to its
    category's own file (<category id>.yml), and a file left with no service is removed."""
    agencies, files = export_data(session)
    folder = data_dir / "catalogue"
    folder.mkdir(parents=True, exist_ok=True)
    held = _layout(folder)
    documents: dict[str, dict[str, Any]] = {}
    for category_id, document in files.items():
        for service in document["services"]:
            stem, was_in = held.get(service["id"], (category_id, category_id))
            file = documents.setdefault(
                stem if was_in == category_id else category_id,
                {"category": document["category"], "services": []},
            )
            file["services"].append(service)
        if not document["services"]:
            documents[category_id] = document  # an empty category is still a file
    for old in folder.glob("*.yml"):
        if old.stem not in documents:
            old.unlink()
    (data_dir / "agencies.yml").write_text(as_yaml(agencies), encoding="utf-8")
    for stem, document in documents.items():
        (folder / f"{stem}.yml").write_text(as_yaml(document), encoding="utf-8")
    return sum(len(d["services"]) for d in files.values())


def _layout(folder: Path) -> dict[str, tuple[str, str]]:
    """{service id: (file stem, category id)} of the category files already in `folder`
    (an unreadable file holds nothing)."""
    held: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            category_id = str(document["category"]["id"])
            ids = [str(item["id"]) for item in document.get("services") or []]
        except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError):
            continue
        for service_id in ids:
            held.setdefault(service_id, (path.stem, category_id))
    return held


def import_files(session: Session, staff: StaffUser | None, data_dir: Path) -> dict[str, int]:
    """Makes the database what the files say: new entries created, changed ones saved as
    a new version, entries the files no longer have retired. CatalogueError (nothing
    changed) when the files are wrong."""
    data = read_data(data_dir=data_dir)  # validated and cross-checked before anything
    wanted = {(kind, model.id): (model, position) for kind, model, position in _positioned(data)}
    counts = {"created": 0, "changed": 0, "retired": 0, "unchanged": 0}
    existing = {(e.kind, e.key): e for e in session.scalars(select(CatalogueEntry))}
    for (kind, key), (model, position) in wanted.items():
        dumped = _dump(model)
        found = existing.get((kind, key))
        if found is None:
            found = CatalogueEntry(
                kind=kind, key=key, data=dumped, owner=_owner(kind, model), position=position
            )
            session.add(found)
            counts["created"] += 1
        elif found.data == dumped and not found.retired and found.position == position:
            counts["unchanged"] += 1
            continue
        else:
            found.data = dumped
            found.owner = _owner(kind, model)
            found.position = position
            found.retired = False
            found.version += 1
            counts["changed"] += 1
        _record(session, found, "import", staff)
    for pair, found in existing.items():
        if pair not in wanted and not found.retired:
            found.retired = True
            found.version += 1
            _record(session, found, "import", staff, "not in the imported files")
            counts["retired"] += 1
    audit(session, staff, "catalogue_import", None, **counts)
    return counts


STAFF_ACTIONS = ("create", "edit", "verify", "retire", "restore", "revert")


def edited_by_staff(session: Session) -> bool:
    """Whether anyone has changed the catalogue in the console (not only from files)."""
    found = select(CatalogueRevision.id).where(CatalogueRevision.action.in_(STAFF_ACTIONS))
    return session.scalar(found.limit(1)) is not None


def follow_files(session: Session, data_dir: Path) -> None:
    """Seeds an empty catalogue from the files; one nobody has edited in the console
    follows them (a release or a `git pull` with new entries takes effect at start).
    Once staff edit, the database is the catalogue and files come in only by import."""
    if revision(session) == 0:
        seed(session, read_data(data_dir=data_dir))
    elif not edited_by_staff(session):
        try:
            with session.begin_nested():
                import_files(session, None, data_dir)
        except IntegrityError:
            pass  # another process brought the same files in at the same moment


def database_catalogue(sessions: Any, *, data_dir: Path = DATA_DIR) -> Catalogue:
    """The catalogue staff edit, from the database (`sessions`, a sessionmaker), seeded
    from `data_dir`'s files (and following them until staff edit it)."""
    followed = False

    def source() -> tuple[int, CatalogueData]:
        nonlocal followed
        if not followed:  # once per process, at its first load
            with sessions() as session, session.begin():
                follow_files(session, data_dir)
            followed = True
        with sessions() as session:
            return revision(session), read(session)

    def current() -> int:
        with sessions() as session:
            return revision(session)

    return Catalogue(data_dir=data_dir, source=source, revision=current)
