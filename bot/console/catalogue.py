"""The catalogue editor: /console/catalogue (the entries a staff member keeps, what is due
for review, what citizens said) and one page per service or agency to edit every field,
preview the LINE card at phone width, verify, retire, and read or revert its history.

Admins edit everything (and categories, export and import); an agency's content owners
(staff with `catalogue_owner`) edit their agency's services and directory entry. Another
agency's entry answers 404 like a missing one. Plain forms with the CSRF token, so the
page works from the keyboard and without script; catalogue.js only refreshes the preview
as the officer types. A published change reaches citizens at their next question
(bot.catalogue.service: each process rebuilds its index when the revision moves).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalogue import cards, store
from bot.catalogue.models import CatalogueEntry
from bot.catalogue.schemas import Agency, Service
from bot.catalogue.service import CatalogueError
from bot.console import auth as console_auth
from bot.console.auth import page_context, staff_page_headers
from bot.console.present import bangkok_time
from bot.deps import ContextDep
from bot.errors import DomainError, NotFound
from bot.staff import scope as scopes
from bot.staff.auth import StaffUser
from bot.web import pages as web

if TYPE_CHECKING:
    from bot.context import Context

router = APIRouter(include_in_schema=False)
HEADERS = staff_page_headers(
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
LIST_FIELDS = ("aliases", "keywords", "eligibility", "documents", "where", "handles")
SERVICE_TEXT = (
    *("id", "title", "agency", "owner", "category", "summary", "fees"),
    *("processing_time", "hotline", "source"),
)
AGENCY_TEXT = ("id", "name", "name_en", "kind", "hotline", "website", "office")
FILTERS = {"bangkok_time": bangkok_time}
MAX_FORM_FIELD = 20_000  # characters of one form field; the schemas' limits are stricter
REVIEW_TH = {
    "verified": "ยืนยันแล้ว",
    "due": "ใกล้ถึงกำหนดทบทวน",
    "overdue": "เลยกำหนดทบทวน (ประชาชนเห็นเป็นยังไม่ยืนยัน)",
    "unverified": "ยังไม่มีผู้ยืนยัน",
    "retired": "เลิกใช้แล้ว",
}
ACTION_TH = {
    "seed": "นำเข้าจากไฟล์ตั้งต้น",
    "create": "สร้าง",
    "edit": "แก้ไข",
    "verify": "แก้ไขและยืนยันกับแหล่งที่มา",
    "retire": "เลิกใช้",
    "restore": "นำกลับมาใช้",
    "revert": "ย้อนกลับ",
    "import": "นำเข้าจากไฟล์",
}
DONE_TH = {
    "saved": "บันทึกและเผยแพร่แล้ว ประชาชนที่ถามครั้งถัดไปจะเห็นข้อมูลใหม่",
    "retired": "เลิกใช้รายการนี้แล้ว ประชาชนจะไม่เห็นอีก",
    "restored": "นำรายการนี้กลับมาใช้แล้ว",
    "reverted": "ย้อนกลับแล้ว (บันทึกเป็นฉบับใหม่)",
    "imported": "นำเข้าแล้ว",
}


def today() -> date:
    """Today in Bangkok (review dates are Bangkok days)."""
    return cards.bangkok_today()


async def _staff(request: Request) -> StaffUser | None:
    return await run_in_threadpool(console_auth.page_staff, request)


def _login() -> RedirectResponse:
    return RedirectResponse(f"{console_auth.PATH}/login", status.HTTP_303_SEE_OTHER)


async def _form(request: Request) -> tuple[StaffUser, dict[str, str]]:
    """The signed-in sender of a page form with a good CSRF token, and its fields."""
    staff = await _staff(request)
    if staff is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not signed in")
    form = await request.form()
    fields = {k: v[:MAX_FORM_FIELD] for k, v in form.items() if isinstance(v, str)}
    if not console_auth.form_csrf_ok(request, fields.get("csrf", "")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF check failed")
    return staff, fields


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def service_data(fields: dict[str, str]) -> dict[str, Any]:
    """A service's fields from the form (lists one per line; empty means absent)."""
    data: dict[str, Any] = {k: fields.get(k, "").strip() for k in SERVICE_TEXT}
    data = {k: v for k, v in data.items() if v}
    for name in LIST_FIELDS[:5]:
        data[name] = _lines(fields.get(name, ""))
    online = {k: fields.get(f"online_{k}", "").strip() for k in ("url", "app", "note")}
    if any(online.values()):
        data["online"] = {k: v for k, v in online.items() if v}
    return data


def agency_data(fields: dict[str, str]) -> dict[str, Any]:
    """An agency's fields from the form."""
    data: dict[str, Any] = {k: fields.get(k, "").strip() for k in AGENCY_TEXT}
    data = {k: v for k, v in data.items() if v}
    data["aliases"] = _lines(fields.get("aliases", ""))
    data["handles"] = _lines(fields.get("handles", ""))
    return data


def _form_values(kind: str, data: dict[str, Any]) -> dict[str, str]:
    """An entry as the form shows it."""
    values = {
        k: "" if v is None else str(v) for k, v in data.items() if not isinstance(v, list | dict)
    }
    for name in LIST_FIELDS:
        values[name] = "\n".join(data.get(name) or [])
    online = data.get("online") or {}
    for key in ("url", "app", "note"):
        values[f"online_{key}"] = online.get(key) or ""
    if kind == "service":
        values.setdefault("owner", "")
    return values


def review_state(service: Service, retired: bool, day: date) -> str:
    """verified, due (within 30 days), overdue, unverified or retired."""
    if retired:
        return "retired"
    if service.verified_at is None:
        return "unverified"
    if service.verified_on(day) is None:
        return "overdue"
    if service.review_due and (service.review_due - day).days <= 30:
        return "due"
    return "verified"


def preview(context: Context, data: dict[str, Any], *, verified_by: str | None) -> Any:
    """The Flex bubble the citizen would get for this (unsaved) service, or why not."""
    if verified_by:
        day = today()
        data = data | {
            "verified_by": verified_by,
            "verified_at": day.isoformat(),
            "review_due": day.isoformat(),
        }
    try:
        service = Service.model_validate(data | {"id": data.get("id") or "preview"})
    except ValidationError as error:
        return {"error": [store.problem(dict(e)) for e in error.errors()][:5]}
    catalogue = context.catalogue
    bubble = cards.service_bubble(
        service,
        category=catalogue.get_category(service.category),
        agency=catalogue.get_agency(service.agency),
    )
    return {"bubble": bubble}


def _choices(context: Context, staff: StaffUser) -> dict[str, Any]:
    catalogue = context.catalogue
    agencies = [a for a in catalogue.agencies]
    mine = [a for a in agencies if store.may_edit(staff, "agency", a.id)]
    return {
        "all_agencies": agencies,
        "owner_agencies": mine,
        "categories": catalogue.categories,
    }


# The list -------------------------------------------------------------------------------


@router.get("/console/catalogue")
async def catalogue_page(
    request: Request,
    context: ContextDep,
    q: Annotated[str, Query(max_length=100)] = "",
    show: Annotated[str, Query(max_length=20)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
    error: Annotated[str, Query(max_length=300)] = "",
    note: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """The services this officer keeps, the review list first, with citizens' votes."""
    staff = await _staff(request)
    if staff is None:
        return _login()
    admin = store.may_edit(staff, "category", None)
    scope = (
        None if admin else ([staff.agency_id] if staff.catalogue_owner and staff.agency_id else [])
    )
    day = today()

    def work(session: Session) -> dict[str, Any]:
        rows = session.scalars(
            select(CatalogueEntry)
            .where(CatalogueEntry.kind == "service", scopes.clause(CatalogueEntry.owner, scope))
            .order_by(CatalogueEntry.key)
        ).all()
        services = [(Service.model_validate(r.data), r) for r in rows]
        votes = store.feedback_counts(session, [s.id for s, _ in services])
        listed: list[dict[str, Any]] = []
        needle = q.strip().casefold()
        for service, row in services:
            state = review_state(service, row.retired, day)
            if show == "review" and state not in ("due", "overdue", "unverified"):
                continue
            if show != "retired" and row.retired:
                continue
            if needle and needle not in f"{service.id} {service.title}".casefold():
                continue
            listed.append({"service": service, "state": state, "votes": votes[service.id]})
        rank = {"overdue": 0, "due": 1, "unverified": 2, "verified": 3, "retired": 4}
        listed.sort(key=lambda item: (rank[str(item["state"])], str(item["service"].title)))
        counts = {k: 0 for k in rank}
        for service, row in services:
            counts[review_state(service, row.retired, day)] += 1
        return {"listed": listed, "counts": counts}

    found = await context.read(work)
    shown = {
        **page_context(request, staff),
        **found,
        "states": REVIEW_TH,
        "admin": admin,
        "may_create": admin or bool(staff.catalogue_owner and staff.agency_id),
        "q": q,
        "show": show,
        "done": f"{DONE_TH[done]} {note}".strip() if done in DONE_TH else None,
        "error": error,
        "own_agency": staff.agency_id if staff.catalogue_owner else None,
    }
    return web.page("console/catalogue.html", shown, headers=HEADERS, filters=FILTERS)


# One service ------------------------------------------------------------------------------


def _entry_page(
    request: Request,
    context: Context,
    staff: StaffUser,
    kind: str,
    found: dict[str, Any],
    *,
    values: dict[str, str],
    error: str = "",
    done: str = "",
    status_code: int = 200,
) -> Response:
    shown = {
        **page_context(request, staff),
        **_choices(context, staff),
        **found,
        "kind": kind,
        "values": values,
        "error": error,
        "done": DONE_TH.get(done),
        "states": REVIEW_TH,
        "actions": ACTION_TH,
        "field_names": store.FIELD_TH,
    }
    return web.page(
        "console/catalogue_entry.html",
        shown,
        headers=HEADERS,
        filters=FILTERS,
        status_code=status_code,
    )


def _read_entry(session: Session, staff: StaffUser, kind: str, key: str) -> dict[str, Any]:
    found = store.editable(session, staff, kind, key[:60])
    versions = store.history(session, kind, found.key)
    history = []
    for index, (revision, name) in enumerate(versions):
        older = versions[index + 1][0].data if index + 1 < len(versions) else None
        history.append(
            {
                "version": revision.version,
                "action": revision.action,
                "who": name,
                "at": revision.created_at,
                "note": revision.note,
                "retired": revision.retired,
                "diff": store.diff(older, revision.data),
                "current": revision.version == found.version,
            }
        )
    out: dict[str, Any] = {
        "key": found.key,
        "version": found.version,
        "retired": found.retired,
        "history": history,
        "data": found.data,
    }
    if kind == "service":
        service = Service.model_validate(found.data)
        out["state"] = review_state(service, found.retired, today())
        out["service"] = service
        out["votes"] = store.feedback_counts(session, [found.key])[found.key]
        out["wrong_notes"] = [
            {"note": f.note, "at": f.created_at}
            for f in store.feedback_notes(session, found.key)
            if f.note
        ]
    return out


@router.get("/console/catalogue/{kind}/{key}")
async def entry_page(
    request: Request,
    context: ContextDep,
    kind: str,
    key: str,
    done: Annotated[str, Query(max_length=20)] = "",
    error: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """One service or agency: every field, the card preview, history and votes."""
    staff = await _staff(request)
    if staff is None:
        return _login()
    kind = _kind(kind)
    if key == "new":
        if not _may_create(staff, kind):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
        values = {"owner": "", "agency": staff.agency_id or ""} if kind == "service" else {}
        return _entry_page(request, context, staff, kind, {"key": None}, values=values)
    found = await context.read(lambda s: _read_entry(s, staff, kind, key))
    return _entry_page(
        request,
        context,
        staff,
        kind,
        found,
        values=_form_values(kind, found["data"]),
        error=error,
        done=done,
    )


def _kind(path_kind: str) -> str:
    kinds = {"services": "service", "agencies": "agency"}
    if path_kind not in kinds:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
    return kinds[path_kind]


def _may_create(staff: StaffUser, kind: str) -> bool:
    if store.may_edit(staff, "category", None):
        return True
    return kind == "service" and bool(staff.catalogue_owner and staff.agency_id)


def _path(kind: str, key: str, **query: str) -> str:
    plural = "services" if kind == "service" else "agencies"
    tail = f"?{urlencode(query)}" if query else ""
    return f"{console_auth.PATH}/catalogue/{plural}/{key}{tail}"


@router.post("/console/catalogue/{kind}/{key}")
async def save_entry(request: Request, context: ContextDep, kind: str, key: str) -> Response:
    """Publishes the form: a new entry (`key` "new") or a new version of this one."""
    staff, fields = await _form(request)
    kind = _kind(kind)
    data = service_data(fields) if kind == "service" else agency_data(fields)
    creating = key == "new"
    if creating and not _may_create(staff, kind):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
    if not creating:
        data["id"] = key[:60]  # the id of an existing entry never changes
    version = None if creating else _int(fields.get("version"))
    verified = fields.get("verified") == "yes"
    note = fields.get("note", "").strip()[:500] or None

    def work(session: Session) -> str:
        saved = store.save(
            session,
            staff,
            kind,
            data,
            version=version,
            verified=verified,
            note=note,
            today=today(),
        )
        return saved.key

    try:
        saved_key = await context.transaction(work)
    except DomainError as refused:
        if refused.status_code == status.HTTP_404_NOT_FOUND:
            raise
        found: dict[str, Any] = {"key": None}
        if not creating:
            found = await context.read(lambda s: _read_entry(s, staff, kind, key))
        values = {k: v for k, v in fields.items() if k != "csrf"}
        return _entry_page(
            request,
            context,
            staff,
            kind,
            found,
            values=values,
            error=str(refused.detail),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return RedirectResponse(_path(kind, saved_key, done="saved"), status.HTTP_303_SEE_OTHER)


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return -1  # a form without a version is stale by definition


@router.post("/console/catalogue/{kind}/{key}/retire")
async def retire_entry(request: Request, context: ContextDep, kind: str, key: str) -> Response:
    """Retires the entry (or restores it, with `restore=yes`)."""
    staff, fields = await _form(request)
    kind = _kind(kind)
    restore = fields.get("restore") == "yes"

    def work(session: Session) -> None:
        store.set_retired(
            session, staff, kind, key[:60], retired=not restore, version=_int(fields.get("version"))
        )

    return await _change(context, kind, key, work, "restored" if restore else "retired")


@router.post("/console/catalogue/{kind}/{key}/revert")
async def revert_entry(request: Request, context: ContextDep, kind: str, key: str) -> Response:
    """Makes an earlier version current again."""
    staff, fields = await _form(request)
    kind = _kind(kind)

    def work(session: Session) -> None:
        store.revert(
            session,
            staff,
            kind,
            key[:60],
            to_version=_int(fields.get("to_version")),
            version=_int(fields.get("version")),
        )

    return await _change(context, kind, key, work, "reverted")


async def _change(context: Context, kind: str, key: str, work: Any, done: str) -> Response:
    try:
        await context.transaction(work)
    except DomainError as refused:
        if refused.status_code == status.HTTP_404_NOT_FOUND:
            raise
        return RedirectResponse(
            _path(kind, key[:60], error=str(refused.detail)[:290]), status.HTTP_303_SEE_OTHER
        )
    return RedirectResponse(_path(kind, key[:60], done=done), status.HTTP_303_SEE_OTHER)


@router.post("/console/catalogue/preview")
async def preview_card(request: Request, context: ContextDep) -> Response:
    """The card for the form as it stands (not saved), as LINE Flex JSON for the
    phone-width preview (or why it cannot be shown yet)."""
    staff, fields = await _form(request)
    found = preview(
        context,
        service_data(fields),
        verified_by=staff.display_name if fields.get("verified") == "yes" else None,
    )
    return JSONResponse(found)


# Files ----------------------------------------------------------------------------------


@router.get("/console/catalogue/export.zip")
async def export_zip(request: Request, context: ContextDep) -> Response:
    """The live catalogue as the files of data/ (agencies.yml, catalogue/*.yml), zipped."""
    staff = await _staff(request)
    if staff is None or not store.may_edit(staff, "category", None):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")

    def work(session: Session) -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            store.export_files(session, Path(folder))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(Path(folder).rglob("*.yml")):
                    archive.write(path, path.relative_to(folder).as_posix())
            return buffer.getvalue()

    body = await context.read(work)
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="catalogue.zip"'},
    )


MAX_IMPORT_BYTES = 5_000_000
SEE_OTHER = status.HTTP_303_SEE_OTHER
IMPORT_TH = {
    "created": "เพิ่ม",
    "changed": "เปลี่ยน",
    "retired": "เลิกใช้",
    "unchanged": "เหมือนเดิม",
}


@router.post("/console/catalogue/import")
async def import_zip(request: Request, context: ContextDep) -> Response:
    """Makes the catalogue what an exported zip says (admins)."""
    staff = await _staff(request)
    if staff is None or not store.may_edit(staff, "category", None):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
    form = await request.form()
    if not console_auth.form_csrf_ok(request, str(form.get("csrf") or "")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF check failed")
    upload = form.get("file")
    raw = (
        b""
        if upload is None or isinstance(upload, str)
        else await upload.read(MAX_IMPORT_BYTES + 1)
    )
    back = f"{console_auth.PATH}/catalogue"
    try:
        if len(raw) > MAX_IMPORT_BYTES:
            raise CatalogueError("ไฟล์ใหญ่เกิน 5 MB")
        with tempfile.TemporaryDirectory() as folder:
            _unzip(raw, Path(folder))
            counts = await context.transaction(lambda s: store.import_files(s, staff, Path(folder)))
    except (CatalogueError, zipfile.BadZipFile) as error:
        message = f"นำเข้าไม่ได้ ไม่มีอะไรเปลี่ยน: {str(error)[:250]}"
        return RedirectResponse(f"{back}?{urlencode({'error': message})}", SEE_OTHER)
    summary = " · ".join(f"{IMPORT_TH[k]} {v}" for k, v in counts.items())
    return RedirectResponse(f"{back}?{urlencode({'done': 'imported', 'note': summary})}", SEE_OTHER)


def _unzip(raw: bytes, folder: Path) -> None:
    """The zip's YAML files into `folder`, refusing paths that leave it."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for member in archive.infolist():
            name = Path(member.filename)
            if member.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts or name.suffix != ".yml":
                raise CatalogueError(f"{member.filename}: not a catalogue file")
            if member.file_size > MAX_IMPORT_BYTES:
                raise CatalogueError(f"{member.filename}: too large")
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))


__all__ = ["Agency", "NotFound", "router"]
