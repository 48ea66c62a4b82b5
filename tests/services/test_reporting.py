"""The dashboard's figures and the register, checked exactly against cases with known outcomes.

``seed_cases`` files nineteen cases across fourteen months through the real services (intake,
processing, decisions) at the moments given, so the closing columns are written as in production:
five still open (two due within 7 days, two overdue), eleven answered in the default period (two
late), two withdrawn, one closed before the period. The expected figures below are worked out by
hand from that table, not by the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.cli import alembic_config
from app.clock import STOCKHOLM
from app.core.deadlines import extended_deadline, legal_deadline
from app.core.stats import Month
from app.core.workflow import Channel, RequestStatus, RequestType
from app.models import (
    NoticeAction,
    NoticeMethod,
    NoticeStatus,
    Recipient,
    RecipientNotice,
    StaffUser,
    SubjectRequest,
)
from app.services import casework, decisions, intake, processing, reporting
from app.services.queue import explain
from app.services.reporting import Period
from tests.conftest import START, make_app

S = RequestStatus
T = RequestType
TODAY = date(2026, 11, 24)  # START, in Stockholm
PERIOD = Period(date(2025, 12, 1), TODAY)  # the default: the last 12 months
EXTENSION_REASON = "=2+3 systems at two subcontractors"  # also a CSV-injection probe
REFUSAL_REASONS = "Hemliga skäl som bara personen ska läsa."
ORIGINAL = "Mina egna ord om min begäran."


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in Stockholm, as the UTC time the app stores."""
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


DETAILS = {
    T.ACCESS: {"scope": "all", "parts": [], "formats": ["pdf"]},
    T.ERASURE: {"scope": "all", "parts": [], "ground": "unsure"},
    T.RECTIFICATION: {"phone": "070-123 45 67"},
    T.RESTRICTION: {"ground": "accuracy"},
    T.PORTABILITY: {"formats": ["json"]},
    T.OBJECTION: {"kind": "direct_marketing"},
    T.CONSENT_WITHDRAWAL: {"purposes": [], "consent_ids": []},
}


@dataclass
class Seeder:
    session: Session
    officer: StaffUser
    count: int = 0

    def file(
        self, kind: T, received: date, *, hour: int = 10, channel: Channel = Channel.PORTAL
    ) -> SubjectRequest:
        self.count += 1
        moment = at(received, hour)
        return intake.file_request(
            self.session,
            email=f"person{self.count}@example.com",
            type=kind,
            details=DETAILS[kind],
            original_text=ORIGINAL,
            language="sv",
            now=moment,
            received_at=moment,
            channel=channel,
        )

    def move(self, case: SubjectRequest, target: S, moment: datetime) -> None:
        processing.transition(self.session, case, target, actor=self.officer.actor, now=moment)

    def complete(self, case: SubjectRequest, moment: datetime) -> None:
        if case.status is S.RECEIVED:
            self.move(case, S.IN_PROGRESS, moment)
        self.move(case, S.COMPLETED, moment)

    def extend(self, case: SubjectRequest, moment: datetime) -> None:
        day = moment.astimezone(STOCKHOLM).date()
        decisions.propose_extension(
            self.session, case, EXTENSION_REASON, by=self.officer, now=moment, today=day
        )

    def refuse(self, case: SubjectRequest, scope: str, ground: str, moment: datetime) -> None:
        day = moment.astimezone(STOCKHOLM).date()
        decisions.propose_refusal(
            self.session, case, scope=scope, ground=ground, reasons=REFUSAL_REASONS,
            by=self.officer, now=moment, today=day,
        )  # fmt: skip


def seed_cases(session: Session, officer: StaffUser) -> dict[str, SubjectRequest]:
    """The table of the module docstring: C1..C14 closed (or withdrawn), O1..O5 open."""
    s = Seeder(session, officer)
    c: dict[str, SubjectRequest] = {}
    # Closed before the period: counted nowhere in it.
    c["C11"] = s.file(T.RESTRICTION, date(2025, 10, 1))
    s.complete(c["C11"], at(date(2025, 11, 15)))
    # Received before the period, answered in December 2025: 20 days, on time.
    c["C9"] = s.file(T.ACCESS, date(2025, 11, 20))
    s.complete(c["C9"], at(date(2025, 12, 10)))
    # January: two access requests, one answered on time (24 days), one late (36 days).
    c["C1"] = s.file(T.ACCESS, date(2026, 1, 10), channel=Channel.LETTER)
    s.complete(c["C1"], at(date(2026, 2, 3)))
    c["C2"] = s.file(T.ACCESS, date(2026, 1, 20))
    s.complete(c["C2"], at(date(2026, 2, 25)))
    # February: an erasure extended (told 00:30 on 1 March, Swedish time: a March extension),
    # answered on 15 April within the extended deadline: 72 days.
    c["C3"] = s.file(T.ERASURE, date(2026, 2, 2), hour=8)
    s.extend(c["C3"], at(date(2026, 3, 1), 0, 30))
    s.complete(c["C3"], at(date(2026, 4, 15)))
    # March: an erasure refused as a whole (15 days) and an access request partly refused, then
    # completed (29 days).
    c["C4"] = s.file(T.ERASURE, date(2026, 3, 5))
    s.refuse(c["C4"], "whole", "legal_obligation", at(date(2026, 3, 20)))
    c["C5"] = s.file(T.ACCESS, date(2026, 3, 10))
    s.move(c["C5"], S.IN_PROGRESS, at(date(2026, 3, 11)))
    s.refuse(c["C5"], "partial", "rights_of_others", at(date(2026, 3, 25)))
    s.complete(c["C5"], at(date(2026, 4, 8)))
    # April: a rectification withdrawn after 4 days (not counted).
    c["C6"] = s.file(T.RECTIFICATION, date(2026, 4, 1))
    processing.withdraw(session, c["C6"], now=at(date(2026, 4, 5)))
    # May: a consent withdrawal and an objection to direct marketing, in effect at once: 0 days.
    c["C7"] = s.file(T.CONSENT_WITHDRAWAL, date(2026, 5, 5))
    c["C8"] = s.file(T.OBJECTION, date(2026, 5, 6))
    # June: an access request answered a day late (31 days), in July.
    c["C10"] = s.file(T.ACCESS, date(2026, 6, 1))
    s.complete(c["C10"], at(date(2026, 7, 2)))
    # August: an access request closed 00:30 on 1 September Swedish time (31 August in UTC):
    # a September closing, 29 days, on time.
    c["C14"] = s.file(T.ACCESS, date(2026, 8, 3))
    s.complete(c["C14"], at(date(2026, 9, 1), 0, 30))
    # An erasure received 31 August, extended in September, answered 2 November: 63 days.
    c["C13"] = s.file(T.ERASURE, date(2026, 8, 31))
    s.extend(c["C13"], at(date(2026, 9, 10)))
    s.complete(c["C13"], at(date(2026, 11, 2)))
    # Open: a rectification extended in September, due 1 December (within 7 days).
    c["O4"] = s.file(T.RECTIFICATION, date(2026, 9, 1))
    s.move(c["O4"], S.IN_PROGRESS, at(date(2026, 9, 2)))
    s.extend(c["O4"], at(date(2026, 9, 20)))
    # Open and overdue: portability due 15 October; access waiting for the person, due 20 Nov.
    c["O5"] = s.file(T.PORTABILITY, date(2026, 9, 15))
    s.move(c["O5"], S.IN_PROGRESS, at(date(2026, 9, 16)))
    c["O3"] = s.file(T.ACCESS, date(2026, 10, 20))
    s.move(c["O3"], S.IN_PROGRESS, at(date(2026, 10, 21)))
    casework.assign(session, c["O3"], officer, by=officer, now=at(date(2026, 10, 21)))
    s.move(c["O3"], S.AWAITING_SUBJECT, at(date(2026, 10, 22)))
    # Open: an erasure due 30 November (within 7 days), an access request due 21 December.
    c["O2"] = s.file(T.ERASURE, date(2026, 10, 30))
    s.move(c["O2"], S.IN_PROGRESS, at(date(2026, 11, 2)))
    c["O1"] = s.file(T.ACCESS, date(2026, 11, 20))
    # Yesterday's access request, withdrawn today.
    c["C12"] = s.file(T.ACCESS, date(2026, 11, 23))
    processing.withdraw(session, c["C12"], now=START)
    add_notices(session, c["C3"], c["C13"])
    session.commit()
    return c


def add_notices(session: Session, *cases: SubjectRequest) -> None:
    """Art. 19 notices: C3 to two recipients (confirmed, sent), C13 to one (not notified)."""
    recipients = list(session.scalars(select(Recipient).order_by(Recipient.id)))
    plan = [
        (cases[0], recipients[0], NoticeStatus.CONFIRMED),
        (cases[0], recipients[1], NoticeStatus.SENT),
        (cases[1], recipients[0], NoticeStatus.NOT_NOTIFIED),
    ]
    for n, (case, recipient, status) in enumerate(plan):
        session.add(
            RecipientNotice(
                request_id=case.id, recipient_id=recipient.id, action=NoticeAction.ERASURE,
                method=NoticeMethod.EMAIL, status=status, key=f"00000000-0000-0000-0000-{n:012d}",
                details={}, created_at=START,
            )
        )  # fmt: skip
    session.flush()


@pytest.fixture
def cases(app: Flask, session: Session, officer: StaffUser) -> dict[str, SubjectRequest]:
    return seed_cases(session, officer)


# --- closing columns --------------------------------------------------------------------------


class TestClosingColumns:
    def test_each_closed_case_carries_its_date_days_and_whether_on_time(
        self, cases: dict[str, SubjectRequest]
    ) -> None:
        expected = {
            "C1": (date(2026, 2, 3), 24, True),
            "C2": (date(2026, 2, 25), 36, False),
            "C3": (date(2026, 4, 15), 72, True),
            "C4": (date(2026, 3, 20), 15, True),
            "C5": (date(2026, 4, 8), 29, True),
            "C6": (date(2026, 4, 5), 4, None),
            "C7": (date(2026, 5, 5), 0, True),
            "C8": (date(2026, 5, 6), 0, True),
            "C9": (date(2025, 12, 10), 20, True),
            "C10": (date(2026, 7, 2), 31, False),
            "C11": (date(2025, 11, 15), 45, False),
            "C12": (TODAY, 1, None),
            "C13": (date(2026, 11, 2), 63, True),
            "C14": (date(2026, 9, 1), 29, True),
        }
        for name, (closed_on, days, on_time) in expected.items():
            case = cases[name]
            assert (case.closed_on, case.days_to_close, case.closed_on_time) == (
                closed_on, days, on_time,
            ), name  # fmt: skip
        for name in ("O1", "O2", "O3", "O4", "O5"):
            case = cases[name]
            assert (case.closed_on, case.days_to_close, case.closed_on_time) == (None,) * 3

    def test_the_closing_date_is_the_swedish_date(self, cases: dict[str, SubjectRequest]) -> None:
        c14 = cases["C14"]
        assert c14.closed_at is not None
        assert c14.closed_at.date() == date(2026, 8, 31)  # in UTC
        assert c14.closed_on == date(2026, 9, 1)

    def test_on_time_is_against_the_extended_deadline_after_an_extension(
        self, cases: dict[str, SubjectRequest]
    ) -> None:
        c3 = cases["C3"]
        assert c3.closed_on > c3.legal_due_on  # late by the first month ...
        assert c3.due_on == extended_deadline(c3.received_on) == date(2026, 5, 4)
        assert c3.closed_on_time is True  # ... but within the deadline in force


# --- the dashboard ----------------------------------------------------------------------------


@pytest.fixture
def board(session: Session, cases: dict[str, SubjectRequest]) -> reporting.Dashboard:
    return reporting.dashboard(session, PERIOD, TODAY)


class TestOpenCases:
    def test_open_cases_by_status_and_type(self, board: reporting.Dashboard) -> None:
        assert board.open.counts == {
            (S.RECEIVED, T.ACCESS): 1,
            (S.IN_PROGRESS, T.ERASURE): 1,
            (S.IN_PROGRESS, T.RECTIFICATION): 1,
            (S.IN_PROGRESS, T.PORTABILITY): 1,
            (S.AWAITING_SUBJECT, T.ACCESS): 1,
        }
        assert board.open.by_status() == {S.RECEIVED: 1, S.IN_PROGRESS: 3, S.AWAITING_SUBJECT: 1}
        assert board.open.by_type() == {
            T.ACCESS: 2, T.RECTIFICATION: 1, T.ERASURE: 1, T.RESTRICTION: 0, T.OBJECTION: 0,
            T.CONSENT_WITHDRAWAL: 0, T.PORTABILITY: 1,
        }  # fmt: skip
        assert board.open.total == 5

    def test_due_within_seven_days_and_overdue(
        self, board: reporting.Dashboard, cases: dict[str, SubjectRequest]
    ) -> None:
        assert cases["O2"].due_on == date(2026, 11, 30)
        assert cases["O4"].due_on == date(2026, 12, 1)  # extended
        assert board.due_soon == 2
        assert board.overdue.total == 2
        assert [r.reference for r in board.overdue.rows] == [
            cases["O5"].reference,  # due 15 October
            cases["O3"].reference,  # due 20 November
        ]
        assert [r.due_on for r in board.overdue.rows] == [date(2026, 10, 15), date(2026, 11, 20)]

    def test_the_overdue_list_stops_at_its_limit_but_the_count_does_not(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        found = reporting.overdue(session, TODAY, limit=1)
        assert [r.reference for r in found.rows] == [cases["O5"].reference]
        assert found.total == 2


class TestPeriodFigures:
    def test_requests_received_per_month_per_type(self, board: reporting.Dashboard) -> None:
        assert list(board.received) == PERIOD.months
        assert len(PERIOD.months) == 12
        nonzero = {
            month.key: {kind.value: n for kind, n in per_type.items() if n}
            for month, per_type in board.received.items()
        }
        assert nonzero == {
            "2025-12": {},
            "2026-01": {"access": 2},
            "2026-02": {"erasure": 1},
            "2026-03": {"erasure": 1, "access": 1},
            "2026-04": {"rectification": 1},
            "2026-05": {"consent_withdrawal": 1, "objection": 1},
            "2026-06": {"access": 1},
            "2026-07": {},
            "2026-08": {"access": 1, "erasure": 1},
            "2026-09": {"rectification": 1, "portability": 1},
            "2026-10": {"access": 1, "erasure": 1},
            "2026-11": {"access": 2},
        }
        assert board.received_total == 17
        assert board.received_of(T.ACCESS) == 8

    def test_on_time_rate_per_month_of_closing(self, board: reporting.Dashboard) -> None:
        table = {
            m.month.key: (m.answered, m.on_time, m.late, m.withdrawn, m.rate) for m in board.on_time
        }
        assert table == {
            "2025-12": (1, 1, 0, 0, 1.0),
            "2026-01": (0, 0, 0, 0, None),
            "2026-02": (2, 1, 1, 0, 0.5),
            "2026-03": (1, 1, 0, 0, 1.0),
            "2026-04": (2, 2, 0, 1, 1.0),
            "2026-05": (2, 2, 0, 0, 1.0),
            "2026-06": (0, 0, 0, 0, None),
            "2026-07": (1, 0, 1, 0, 0.0),
            "2026-08": (0, 0, 0, 0, None),
            "2026-09": (1, 1, 0, 0, 1.0),
            "2026-10": (0, 0, 0, 0, None),
            "2026-11": (1, 1, 0, 1, 1.0),
        }
        assert (board.answered, board.answered_on_time, board.withdrawn) == (11, 9, 2)
        assert board.on_time_rate == pytest.approx(9 / 11)

    def test_withdrawn_cases_count_neither_as_on_time_nor_late_nor_in_days(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        april = Period(date(2026, 4, 1), date(2026, 4, 30))
        [month] = reporting.on_time_by_month(session, april)
        assert (month.answered, month.on_time, month.withdrawn) == (2, 2, 1)  # C3, C5; C6
        rectification = next(
            d for d in reporting.days_to_close(session, april) if d.type is T.RECTIFICATION
        )
        assert rectification.count == 0  # C6 (withdrawn after 4 days) is not there
        assert rectification.median is None
        assert rectification.p90 is None

    def test_median_and_90th_percentile_of_days_to_close_per_type(
        self, board: reporting.Dashboard
    ) -> None:
        figures = {
            (d.type.value if d.type else "all"): (d.count, d.median, d.p90) for d in board.days
        }
        assert figures == {
            "access": (6, 29.0, 36),  # 20 24 29 29 31 36
            "rectification": (0, None, None),  # only C6, withdrawn
            "erasure": (3, 63.0, 72),  # 15 63 72
            "restriction": (0, None, None),  # C11 closed before the period
            "objection": (1, 0.0, 0),
            "consent_withdrawal": (1, 0.0, 0),
            "portability": (0, None, None),
            "all": (11, 29.0, 63),  # 0 0 15 20 24 29 29 31 36 63 72
        }

    def test_extensions_and_refusals_per_month(self, board: reporting.Dashboard) -> None:
        table = {m.month.key: (m.extensions, m.refusals) for m in board.decisions}
        assert table == {
            "2025-12": (0, 0),
            "2026-01": (0, 0),
            "2026-02": (0, 0),  # C3's extension was told 00:30 on 1 March, Swedish time
            "2026-03": (1, 2),  # C3; C4 whole, C5 partial
            "2026-04": (0, 0),
            "2026-05": (0, 0),
            "2026-06": (0, 0),
            "2026-07": (0, 0),
            "2026-08": (0, 0),
            "2026-09": (2, 0),  # C13, O4
            "2026-10": (0, 0),
            "2026-11": (0, 0),
        }
        assert (board.extensions, board.refusals) == (3, 2)

    def test_a_period_cutting_months_counts_only_its_own_days(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        period = Period(date(2026, 2, 26), date(2026, 3, 19))
        assert [m.key for m in period.months] == ["2026-02", "2026-03"]
        received = reporting.received_by_month(session, period)
        assert sum(received[Month(2026, 2)].values()) == 0  # C3 came on 2 February
        assert received[Month(2026, 3)][T.ERASURE] == 1  # C4, 5 March
        assert received[Month(2026, 3)][T.ACCESS] == 1  # C5, 10 March
        on_time = reporting.on_time_by_month(session, period)
        assert [(m.answered, m.on_time) for m in on_time] == [(0, 0), (0, 0)]  # C2 on 25 Feb
        decided = reporting.decisions_by_month(session, period)
        assert [(m.extensions, m.refusals) for m in decided] == [(0, 0), (1, 0)]  # C4: 20 March

    def test_an_empty_period_gives_zeros_and_no_rates(self, session: Session) -> None:
        board = reporting.dashboard(session, PERIOD, TODAY)
        assert board.received_total == 0
        assert board.on_time_rate is None
        assert board.all_types.median is None
        assert board.open.total == 0
        assert board.overdue.rows == []

    def test_each_figure_reads_one_index(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        plans = {
            name: " ".join(explain(session, query))
            for name, query in reporting.queries(PERIOD, TODAY).items()
        }
        for name, plan in plans.items():
            assert "SCAN subject_requests" not in plan, (name, plan)
        assert "ix_subject_requests_received_on_type" in plans["requests per month per type"]
        assert "ix_subject_requests_closed_on_closed_on_time" in plans["on-time rate per month"]
        assert "ix_subject_requests_closed_on_type_on_time_days" in plans["days to close per type"]
        assert "ix_subject_requests_extension_notified_at" in plans["extensions per month"]
        assert "ix_subject_requests_refusal_notified_at" in plans["refusals per month"]
        assert "ix_subject_requests_received_on" in plans["register page"]


class TestPeriod:
    def test_the_default_is_the_last_twelve_months(self) -> None:
        assert reporting.default_period(TODAY) == PERIOD
        assert reporting.default_period(date(2026, 1, 31)) == Period(
            date(2025, 2, 1), date(2026, 1, 31)
        )

    @pytest.mark.parametrize(
        ("start", "end", "problem"),
        [
            (date(2026, 3, 1), date(2026, 2, 28), "end_before_start"),
            (date(2026, 3, 1), date(2026, 11, 25), "end_in_future"),
            (date(2021, 11, 30), TODAY, "too_long"),  # 61 calendar months
            (date(2021, 12, 1), TODAY, None),  # 60
            (TODAY, TODAY, None),
        ],
    )
    def test_rules(self, start: date, end: date, problem: str | None) -> None:
        assert reporting.period_problem(start, end, TODAY) == problem


# --- the register -----------------------------------------------------------------------------

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))


class TestRegister:
    def test_the_cases_received_in_the_period_in_order_of_receipt(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        rows = list(reporting.register_rows(session, Q1, chunk=2))  # paged by keyset
        assert [r.reference for r in rows] == [
            cases[n].reference for n in ("C1", "C2", "C3", "C4", "C5")
        ]
        assert reporting.register_count(session, Q1) == 5

    def test_a_row_holds_the_facts_of_the_case(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        rows = {r.reference: r for r in reporting.register_rows(session, Q1)}
        c3 = rows[cases["C3"].reference]
        assert (c3.type, c3.channel, c3.status) == (T.ERASURE, Channel.PORTAL, S.COMPLETED)
        assert c3.received_local == datetime(2026, 2, 2, 8, 0, tzinfo=STOCKHOLM)
        assert c3.legal_due_on == legal_deadline(date(2026, 2, 2)) == date(2026, 3, 2)
        assert c3.extended_due_on == date(2026, 5, 4)
        assert c3.extension_reason == EXTENSION_REASON
        assert c3.extension_notified_on == date(2026, 3, 1)
        assert (c3.closed_on, c3.days_to_close, c3.closed_on_time) == (date(2026, 4, 15), 72, True)
        assert c3.notices == {NoticeStatus.CONFIRMED: 1, NoticeStatus.SENT: 1}
        assert len(c3.recipients) == 2
        c4 = rows[cases["C4"].reference]
        assert (c4.status, c4.refusal_scope, c4.refusal_ground) == (
            S.REFUSED, "whole", "legal_obligation",
        )  # fmt: skip
        assert c4.refusal_article == "17.3 b"
        c1 = rows[cases["C1"].reference]
        assert c1.channel is Channel.LETTER
        assert c1.extended_due_on is None
        assert c1.refusal_article is None
        assert c1.notices == {}

    def test_a_row_holds_nothing_else_about_the_person(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        row = next(reporting.register_rows(session, Q1))
        values = [str(v) for v in vars(row).values()]
        for secret in ("person", "@example.com", ORIGINAL, REFUSAL_REASONS, "070-123"):
            assert not any(secret in v for v in values), secret

    def test_the_summary_over_the_register(
        self, session: Session, cases: dict[str, SubjectRequest]
    ) -> None:
        summary = reporting.summarise(list(reporting.register_rows(session, Q1)))
        assert summary.cases == 5
        assert summary.by_type[T.ACCESS][S.COMPLETED] == 3
        assert summary.by_type[T.ERASURE] == {
            S.RECEIVED: 0, S.IN_PROGRESS: 0, S.AWAITING_SUBJECT: 0, S.COMPLETED: 1,
            S.REFUSED: 1, S.WITHDRAWN: 0,
        }  # fmt: skip
        assert (summary.on_time, summary.late, summary.open) == (4, 1, 0)
        assert summary.on_time_rate == pytest.approx(0.8)
        assert summary.median_days == 29.0  # 15 24 29 36 72
        assert summary.p90_days == 72
        assert (summary.extensions, summary.refusals_whole, summary.refusals_partial) == (1, 1, 1)


# --- the migration ------------------------------------------------------------------------------


class TestMigration:
    def test_0005_fills_in_the_closing_figures_of_cases_closed_before_it(
        self, tmp_path: Path
    ) -> None:
        app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}", create_tables=False)
        config = alembic_config(app)
        command.upgrade(config, "0004")
        engine = app.extensions["db.engine"]
        insert = text(
            "INSERT INTO subject_requests (id, reference, type, status, channel, language, email,"
            " details, received_at, received_on, legal_due_on, due_on, closed_at, created_at,"
            " updated_at) VALUES (:id, :ref, 'access', :status, 'portal', 'sv', 'a@example.com',"
            " '{}', '2026-03-05 09:00:00', '2026-03-05', '2026-04-07', :due, :closed,"
            " '2026-03-05 09:00:00', '2026-03-05 09:00:00')"
        )
        rows = [
            # Closed 22:30 UTC on 7 April: 00:30 on 8 April in Stockholm, a day late.
            {"id": 1, "ref": "DSR-2026-000001", "status": "completed", "due": "2026-04-07",
             "closed": "2026-04-07 22:30:00"},
            # The same moment, after an extension to 5 June: on time.
            {"id": 2, "ref": "DSR-2026-000002", "status": "completed", "due": "2026-06-05",
             "closed": "2026-04-07 22:30:00"},
            {"id": 3, "ref": "DSR-2026-000003", "status": "withdrawn", "due": "2026-04-07",
             "closed": "2026-03-06 10:00:00"},
            {"id": 4, "ref": "DSR-2026-000004", "status": "in_progress", "due": "2026-04-07",
             "closed": None},
        ]  # fmt: skip
        with engine.begin() as connection:
            connection.execute(insert, rows)
        command.upgrade(config, "0005")
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT id, closed_on, days_to_close, closed_on_time FROM subject_requests"
                    " ORDER BY id"
                )
            ).all()
        assert [tuple(r) for r in found] == [
            (1, "2026-04-08", 34, 0),
            (2, "2026-04-08", 34, 1),
            (3, "2026-03-06", 1, None),
            (4, None, None, None),
        ]
        command.downgrade(config, "0004")
        with engine.connect() as connection:
            columns = {
                c[1] for c in connection.execute(text("PRAGMA table_info(subject_requests)"))
            }
        assert "closed_on" not in columns
