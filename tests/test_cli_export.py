"""``portal export-leads``: the CSV a customer's CRM receives, without restricted people."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry
from app.services.fulfilment import restriction
from app.services.recipient_export import FIELDS
from tests.conftest import Clock
from tests.factories import ANNA, COUSIN, NAMESAKE, Crowd, build_crowd


@pytest.fixture
def crowd(app: Flask, session: Session, clock: Clock) -> Crowd:
    return build_crowd(session, clock(), leads=60)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def run(app: Flask, *args: str) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=["export-leads", *args])
    return result.exit_code, result.stdout, result.stderr


class TestExportLeads:
    def test_the_csv_goes_to_standard_output(self, app: Flask, crowd: Crowd) -> None:
        code, out, _err = run(app, "--recipient", str(crowd.recipient.id))
        assert code == 0, out
        rows = rows_of(out)
        assert tuple(rows[0]) == FIELDS
        assert [r["email"] for r in rows].count(ANNA) == 2
        assert {NAMESAKE, COUSIN} <= {r["email"] for r in rows}

    def test_a_restricted_person_is_not_in_the_file_and_the_others_are(
        self, app: Flask, session: Session, crowd: Crowd, clock: Clock, tmp_path: Path
    ) -> None:
        code, before, _err = run(app, "--recipient", str(crowd.recipient.id))
        assert code == 0
        restriction.restrict_records(session, ANNA, "accuracy", now=clock())
        session.commit()
        target = tmp_path / "leads.csv"
        code, out, _err = run(app, "--recipient", str(crowd.recipient.id), "--output", str(target))
        assert code == 0, out
        after = rows_of(target.read_text(encoding="utf-8"))
        assert f"Wrote {len(after)} leads to {target}." in out
        assert ANNA not in {r["email"] for r in after}
        assert {NAMESAKE, COUSIN} <= {r["email"] for r in after}
        assert len(after) == len(rows_of(before)) - 2

    def test_an_unknown_recipient_exits_with_2_and_a_message(
        self, app: Flask, session: Session, crowd: Crowd, tmp_path: Path
    ) -> None:
        target = tmp_path / "leads.csv"
        code, out, err = run(app, "--recipient", "999999", "--output", str(target))
        assert code == 2
        assert "no recipient with id 999999" in err
        assert out == ""
        assert not target.exists()
        assert (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "export.leads")).all()
            == []
        )

    def test_the_log_and_the_audit_trail_hold_counts_not_personal_data(
        self, app: Flask, session: Session, crowd: Crowd, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            code, out, _err = run(app, "--recipient", str(crowd.recipient.id))
        assert code == 0
        rows = rows_of(out)
        assert f"recipient {crowd.recipient.id}, {len(rows)} rows" in caplog.text
        for row in rows:
            assert row["email"] not in caplog.text
            assert row["name"] not in caplog.text
        session.expire_all()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export.leads")).one()
        assert entry.data == {"recipient_id": crowd.recipient.id, "rows": len(rows)}
