"""The catalogue in the database: the entries staff edit, every version, citizens' votes.

The YAML files under data/ are the seed (read once into an empty database) and the
export format; from then on the database is the catalogue every process serves. Each
entry is kept as its validated JSON (the schemas of bot.catalogue.schemas), so a field
added to a schema needs no migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import AgencyId, Base, utcnow
from bot.staff import models as _staff  # noqa: F401 - FK target of staff_id

KINDS = ("category", "agency", "service")


class CatalogueEntry(Base):
    """The current version of one category, agency or service."""

    __tablename__ = "catalogue_entry"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    data: Mapped[dict[str, Any]]
    # The agency whose content owners may edit it (a service's owner; an agency itself).
    owner: Mapped[str | None] = mapped_column(AgencyId, index=True)
    # Order within its kind (services: within their category), as the files had it.
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    retired: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class CatalogueRevision(Base):
    """One saved version of an entry: who changed what, when, and why. Its id, growing
    with every change, is the catalogue's revision: a process whose index was built at
    an older one rebuilds it."""

    __tablename__ = "catalogue_revision"
    __table_args__ = (Index("ix_catalogue_revision_entry", "kind", "key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(60))
    version: Mapped[int]
    data: Mapped[dict[str, Any]]
    retired: Mapped[bool] = mapped_column(default=False)
    # seed, create, edit, verify, retire, restore, revert, import
    action: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceFeedback(Base):
    """A citizen's answer to "ข้อมูลนี้ช่วยได้ไหม" on a service card: one per citizen and
    service (a later tap replaces it); `note` says what was wrong, in their words."""

    __tablename__ = "service_feedback"
    __table_args__ = (
        Index("ix_service_feedback_citizen", "citizen_id", "service_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(String(60), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))
    # helpful, unhelpful, wrong
    vote: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogueQuestion(Base):
    """A question the catalogue found no confident answer for: shown to admins in the
    NLU inbox (bot.teaching.inbox), so a missing service or name gets noticed. Erased
    with the citizen who asked."""

    __tablename__ = "catalogue_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    best_service: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
