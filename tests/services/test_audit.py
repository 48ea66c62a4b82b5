"""The audit trail as a service: what an entry holds, and that the table is append-only.

The database itself refuses to change or remove an entry (triggers on SQLite and PostgreSQL),
whatever code runs against it: the ORM, a bulk statement or plain SQL.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.core.workflow import RequestType
from app.models import AuditEntry, StaffUser
from app.services import audit, intake
from tests.conftest import Clock


def test_an_entry_names_who_what_when_and_which_case(
    app: Flask, session: Session, clock: Clock, handler: StaffUser
) -> None:
    case = intake.file_request(
        session, email="anna@example.com", type=RequestType.ACCESS, details={},
        original_text=None, language="sv", now=clock(),
    )  # fmt: skip
    entry = audit.record(
        session, action="case.view", now=clock(), staff=handler, request=case, person_id=7,
        data={"fields": ["name"]},
    )  # fmt: skip
    session.commit()
    session.expire_all()
    stored = session.get_one(AuditEntry, entry.id)
    assert stored.occurred_at == clock()
    assert (stored.actor_id, stored.actor) == (handler.id, f"staff:{handler.id}")
    assert (stored.action, stored.request_id, stored.reference) == (
        "case.view",
        case.id,
        case.reference,
    )
    assert (stored.person_id, stored.data) == (7, {"fields": ["name"]})


def test_without_staff_the_actor_is_the_system_or_the_person(
    app: Flask, session: Session, clock: Clock
) -> None:
    assert audit.record(session, action="x", now=clock()).actor == "system"
    entry = audit.record(session, action="x", now=clock(), actor="subject")
    assert (entry.actor, entry.actor_id) == ("subject", None)


@pytest.fixture
def entry(app: Flask, session: Session, clock: Clock, officer: StaffUser) -> AuditEntry:
    made = audit.record(session, action="case.view", now=clock(), staff=officer, data={"a": 1})
    session.commit()
    return made


def _orm_update(session: Session, entry: AuditEntry) -> None:
    entry.action = "case.nothing_to_see"
    session.flush()


def _orm_delete(session: Session, entry: AuditEntry) -> None:
    session.delete(entry)
    session.flush()


def _bulk_update(session: Session, entry: AuditEntry) -> None:
    session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(actor="system"))


def _bulk_delete(session: Session, entry: AuditEntry) -> None:
    session.execute(delete(AuditEntry))


def _plain_sql(session: Session, entry: AuditEntry) -> None:
    session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": entry.id})


@pytest.mark.parametrize(
    "change", [_orm_update, _orm_delete, _bulk_update, _bulk_delete, _plain_sql]
)
def test_the_table_is_append_only(
    session: Session, entry: AuditEntry, change: Callable[[Session, AuditEntry], None]
) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        change(session, entry)
    session.rollback()
    session.expire_all()
    stored = session.scalars(select(AuditEntry)).all()
    assert [(e.id, e.action, e.actor, e.data) for e in stored] == [
        (entry.id, "case.view", entry.actor, {"a": 1})
    ]


def test_adding_entries_still_works_after_a_refused_change(
    session: Session, entry: AuditEntry, clock: Clock
) -> None:
    with pytest.raises(DBAPIError):
        _bulk_delete(session, entry)
    session.rollback()
    audit.record(session, action="case.start", now=clock())
    session.commit()
    assert len(session.scalars(select(AuditEntry)).all()) == 2
