"""The catalogue in the database: seeding, edits with history, who may edit, review,
citizens' votes, and the files round trip (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from bot.catalogue import store
from bot.catalogue.service import DATA_DIR, CatalogueError, read_data
from bot.catalogue.store import database_catalogue
from bot.conversations.models import Citizen
from bot.db import unit_of_work
from bot.errors import Invalid, NotFound
from bot.staff.auth import StaffUser, create_staff
from tests.bot.catalogue.catalogue_support import FIXTURES, edit_yaml

TODAY = date(2026, 12, 4)


def person(
    session: Session, name: str, role: str, agency: str | None, *, owner: bool = False
) -> StaffUser:
    made = create_staff(
        session,
        username=name,
        password="correct horse battery",
        role=role,
        agency_id=agency,
        display_name=f"คุณ{name}",
        catalogue_owner=owner,
    )
    return StaffUser(made.id, made.username, made.display_name, role, agency, owner)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions() as session, session.begin():
        assert store.seed(session, read_data(data_dir=FIXTURES))
    return sessions


def passport(session: Session) -> dict[str, Any]:
    found = store.entry(session, "service", "passport")
    assert found is not None
    return dict(found.data)


def test_seeding_reads_back_what_the_files_say_and_happens_once(
    seeded: sessionmaker[Session],
) -> None:
    files = read_data(data_dir=FIXTURES)
    with seeded() as session, session.begin():
        assert store.read(session) == files
        assert not store.seed(session, files)  # a second process finds it seeded
        assert store.revision(session) == len(files.categories + files.agencies) + len(
            files.services
        )


def test_a_category_split_over_files_seeds_and_reads_back(
    sessions: sessionmaker[Session], data_dir: Path
) -> None:
    more = data_dir / "catalogue" / "aa_welfare_more.yml"
    more.write_text((data_dir / "catalogue" / "welfare.yml").read_text(encoding="utf-8"))
    edit_yaml(more, lambda doc: doc.update(services=[{**doc["services"][0], "id": "welfare_more"}]))
    files = read_data(data_dir=data_dir)
    assert files.categories[0].id == "welfare"  # first seen in aa_welfare_more.yml
    with sessions() as session, session.begin():
        assert store.seed(session, files)
        assert store.read(session) == files


def test_an_owner_edits_a_fee_verified_with_history_diff_and_revert(
    seeded: sessionmaker[Session],
) -> None:
    with seeded() as session, session.begin():
        owner = person(session, "malee", "agent", "dca", owner=True)
        data = passport(session) | {"fees": "อายุ 5 ปี 1,100 บาท"}
        saved = store.save(session, owner, "service", data, version=1, verified=True, today=TODAY)
        assert saved.version == 2
        assert saved.data["verified_by"] == "คุณmalee"
        assert saved.data["verified_at"] == "2026-12-04"
        assert saved.data["review_due"] == "2027-06-02"
        versions = store.history(session, "service", "passport")
        assert [(r.version, r.action, name) for r, name in versions] == [
            (2, "verify", "คุณmalee"),
            (1, "seed", None),
        ]
        changed = store.diff(versions[1][0].data, versions[0][0].data)
        assert "+fees: อายุ 5 ปี 1,100 บาท" in changed
        assert any(line.startswith("-fees:") for line in changed)
        # An edit without confirming it against the source leaves the entry unverified.
        plain = store.save(
            session,
            owner,
            "service",
            passport(session) | {"summary": "ใหม่"},
            version=2,
            today=TODAY,
        )
        assert "verified_by" not in plain.data
        reverted = store.revert(session, owner, "service", "passport", to_version=1, version=3)
        assert reverted.version == 4
        assert passport(session) == versions[1][0].data


def test_only_admins_and_the_owning_agencys_owners_may_edit(
    seeded: sessionmaker[Session],
) -> None:
    with seeded() as session, session.begin():
        other = person(session, "somchai", "supervisor", "dopa", owner=True)
        agent = person(session, "noi", "agent", "dca")  # not a content owner
        admin = person(session, "root", "admin", None)
        data = passport(session) | {"fees": "ฟรี"}
        for who in (other, agent):
            with pytest.raises(NotFound):
                store.save(session, who, "service", data, version=1, today=TODAY)
            with pytest.raises(NotFound):
                store.set_retired(session, who, "service", "passport", retired=True, version=1)
        assert store.save(session, admin, "service", data, version=1, today=TODAY).version == 2
        # Moving a service to another agency is not a way into it either.
        moved = passport(session) | {"agency": "dopa"}
        with pytest.raises(NotFound):
            store.save(session, other, "service", moved, version=2, today=TODAY)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"summary": "ก" * 5000}, r"สรุป \(summary\): ยาวเกิน 1000 ตัวอักษร"),
        ({"source": "ftp://files.example.go.th"}, r"\(source\): ต้องเป็นลิงก์ที่ขึ้นต้นด้วย https://"),
        ({"online": {"url": "javascript:alert(1)"}}, r"\(online\) url: ต้องเป็นลิงก์"),
        ({"title": "   "}, r"ชื่อบริการ \(title\): ต้องกรอก"),
        ({"documents": ["<script>alert(1)</script>"]}, r"\(documents\) 0: ต้องเป็นข้อความธรรมดา"),
        ({"agency": "ministry_of_magic"}, r"หน่วยงาน \(agency\): ไม่มี 'ministry_of_magic'"),
        ({"category": "nowhere"}, r"หมวด \(category\): ไม่มี"),
        ({"id": "Bad Id"}, r"รหัส \(id\): ใช้ได้เฉพาะ"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    seeded: sessionmaker[Session], change: dict[str, Any], message: str
) -> None:
    with seeded() as session, session.begin():
        admin = person(session, "root", "admin", None)
        before = passport(session)
        with pytest.raises(Invalid, match=message):
            store.save(session, admin, "service", before | change, version=1, today=TODAY)
        assert passport(session) == before
        assert len(store.history(session, "service", "passport")) == 1


def test_a_duplicate_id_and_a_stale_form_are_refused(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, session.begin():
        admin = person(session, "root", "admin", None)
        with pytest.raises(Invalid, match="มีอยู่แล้ว"):
            store.save(session, admin, "service", passport(session), version=None, today=TODAY)
        store.save(session, admin, "service", passport(session), version=1, today=TODAY)
        with pytest.raises(store.Stale):
            store.save(session, admin, "service", passport(session), version=1, today=TODAY)


def test_retiring_hides_an_entry_and_an_agency_in_use_stays(
    seeded: sessionmaker[Session],
) -> None:
    with seeded() as session, session.begin():
        admin = person(session, "root", "admin", None)
        with pytest.raises(Invalid, match="ยังมีบริการที่ใช้อยู่: passport"):
            store.set_retired(session, admin, "agency", "dca", retired=True, version=1)
        store.set_retired(session, admin, "service", "passport", retired=True, version=1)
        assert "passport" not in {s.id for s in store.read(session).services}
        store.set_retired(session, admin, "service", "passport", retired=False, version=2)
        assert "passport" in {s.id for s in store.read(session).services}


def test_review_list_and_counts(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, session.begin():
        admin = person(session, "root", "admin", None)
        # house_move was verified on 2026-11-22 with a review date of 2027-05-22.
        assert store.review_counts(session, today=TODAY) == {
            "verified": 1,
            "overdue": 0,
            "unverified": 5,
        }
        later = date(2027, 5, 23)
        assert store.review_counts(session, today=later)["overdue"] == 1
        due = store.due_for_review(session, scope=["dopa"], today=date(2027, 5, 1))
        assert [(s.id, why) for s, why in due][0] == ("house_move", "due")
        assert {s.id for s, _ in due} == {"id_card", "house_move", "birth_registration"}
        assert store.due_for_review(session, scope=["dca"], today=TODAY)[0][0].id == ("passport")
        store.save(
            session, admin, "service", passport(session), version=1, verified=True, today=TODAY
        )
        assert store.review_counts(session, today=TODAY)["verified"] == 2


def test_a_citizens_latest_vote_counts_once(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, session.begin():
        first, second = Citizen(line_user_id="U" + "1" * 32), Citizen(line_user_id="U" + "2" * 32)
        session.add_all([first, second])
        session.flush()
        store.record_feedback(session, first.id, "passport", "helpful")
        store.record_feedback(session, first.id, "passport", "wrong", "ค่าธรรมเนียมขึ้นแล้ว")
        store.record_feedback(session, second.id, "passport", "helpful")
        assert store.feedback_counts(session, ["passport", "id_card"]) == {
            "passport": {"helpful": 1, "unhelpful": 0, "wrong": 1},
            "id_card": {"helpful": 0, "unhelpful": 0, "wrong": 0},
        }
        [note] = store.feedback_notes(session, "passport")
        assert note.note == "ค่าธรรมเนียมขึ้นแล้ว"
        with pytest.raises(Invalid):
            store.record_feedback(session, first.id, "passport", "love")


def test_export_then_import_is_lossless(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    shipped = read_data(data_dir=DATA_DIR)
    with sessions() as session, session.begin():
        store.seed(session, shipped)
        assert store.export_files(session, tmp_path) == len(shipped.services)
        assert read_data(data_dir=tmp_path) == shipped
        # Importing what was exported changes nothing.
        counts = store.import_files(session, None, tmp_path)
        assert counts["unchanged"] == len(shipped.categories + shipped.agencies) + len(
            shipped.services
        )
        assert counts["created"] == counts["changed"] == counts["retired"] == 0
        # An edit made in the files (in version control) comes back as a new version.
        path = next((tmp_path / "catalogue").glob("*.yml"))
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        first = document["services"][0]
        first["fees"] = "ไม่เสียค่าธรรมเนียม"
        removed = document["services"].pop()
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        counts = store.import_files(session, None, tmp_path)
        assert (counts["changed"], counts["retired"]) == (1, 1)
        edited = store.entry(session, "service", first["id"])
        assert edited is not None and edited.data["fees"] == "ไม่เสียค่าธรรมเนียม"
        gone = store.entry(session, "service", removed["id"])
        assert gone is not None and gone.retired


def test_export_keeps_the_files_layout(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    data = tmp_path / "data"

    def layout() -> dict[str, list[str]]:
        files = sorted((data / "catalogue").glob("*.yml"))
        documents = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in files}
        return {name: [s["id"] for s in doc["services"]] for name, doc in documents.items()}

    shipped, before = read_data(data_dir=DATA_DIR), layout()
    split = [f for f in before if f.removesuffix(".yml") not in {c.id for c in shipped.categories}]
    assert split, "the shipped catalogue has a category split over files"
    with sessions() as session, session.begin():
        store.seed(session, shipped)
        assert store.export_files(session, data) == len(shipped.services)
        assert layout() == before  # every service where it was
        assert read_data(data_dir=data) == shipped
        # A new service goes to its category's own file; an emptied file goes away.
        admin = person(session, "root", "admin", None)
        moved = next(iter(before[split[0]]))
        new = passport(session) | {"id": "passport_new", "title": "หนังสือเดินทางแบบใหม่"}
        new.pop("version", None)
        store.save(session, admin, "service", new, version=None, today=TODAY)
        for service_id in before[split[0]]:
            store.set_retired(session, admin, "service", service_id, retired=True, version=1)
        store.export_files(session, data)
    after = layout()
    assert split[0] not in after and moved not in {i for ids in after.values() for i in ids}
    assert "passport_new" in after[f"{passport_category(shipped)}.yml"]


def passport_category(data: Any) -> str:
    return next(s.category for s in data.services if s.id == "passport")


def test_wrong_files_import_nothing(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "data")
    (tmp_path / "data" / "catalogue" / "travel.yml").write_text("services: [1", encoding="utf-8")
    with sessions() as session, session.begin():
        store.seed(session, read_data(data_dir=FIXTURES))
        before = store.revision(session)
        with pytest.raises(CatalogueError):
            store.import_files(session, None, tmp_path / "data")
        assert store.revision(session) == before


def test_a_process_sees_an_edit_at_its_next_search(sessions: sessionmaker[Session]) -> None:
    catalogue = database_catalogue(sessions, data_dir=FIXTURES)  # seeds the empty database
    assert catalogue.fresh().get("passport") is not None
    with sessions() as session, session.begin():
        admin = person(session, "root", "admin", None)
        store.set_retired(session, admin, "service", "passport", retired=True, version=1)
    assert catalogue.get("passport") is not None  # the index it has, until asked afresh
    assert catalogue.fresh().get("passport") is None
    assert not [m for m in catalogue.search(query="ทำพาสปอร์ต") if m.service_id == "passport"]


def test_the_files_are_followed_until_staff_edit(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    shutil.copytree(FIXTURES, tmp_path / "data")
    data = tmp_path / "data"
    with unit_of_work(sessions) as session:
        store.follow_files(session, data)  # seeds
    path = data / "catalogue" / "travel.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["services"][0]["fees"] = "ค่าธรรมเนียมจากไฟล์ใหม่"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with unit_of_work(sessions) as session:
        store.follow_files(session, data)  # a release with a changed file: followed
        assert passport(session)["fees"] == "ค่าธรรมเนียมจากไฟล์ใหม่"
        admin = person(session, "root", "admin", None)
        edited = passport(session) | {"fees": "แก้ในคอนโซล"}
        store.save(session, admin, "service", edited, version=2, today=TODAY)
    document["services"][0]["fees"] = "ไฟล์เปลี่ยนอีก"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with unit_of_work(sessions) as session:
        store.follow_files(session, data)  # staff have edited: the database wins
        assert passport(session)["fees"] == "แก้ในคอนโซล"
