"""How fast the privacy officer's dashboard answers with a million cases in a SQLite file database.

Builds the database (bulk ``insert()`` of plain dicts in chunks, like bench/queue_speed.py: cases
received evenly over four years, a realistic mix of types and outcomes, about 8 % extended, 3 %
refused, Art. 19 notices on a share of erasures and rectifications), with the closing columns
(closed_on, days_to_close, closed_on_time) written as ``processing.transition`` writes them.
Then it times each query of ``app.services.reporting`` for the default period (the last 12
months), the whole HTTP GET of ``/staff/dashboard`` through the Flask test client signed in as
the privacy officer, and the register as CSV (one month) and PDF (one week). Prints the figures
(milliseconds) and SQLite's query plans, which show the indexes in use.

Usage: .venv/bin/python bench/dashboard_speed.py [--cases 1000000] [--runs 7] [--keep PATH]
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.clock import stockholm_date  # noqa: E402  (after the path set-up)
from app.core.grounds import REFUSAL_GROUNDS  # noqa: E402
from app.core.permissions import StaffRole  # noqa: E402
from app.core.stats import closing_figures  # noqa: E402
from app.db import get_session  # noqa: E402
from app.models import (  # noqa: E402
    NoticeAction,
    NoticeMethod,
    NoticeStatus,
    Recipient,
    RecipientNotice,
    StaffUser,
    SubjectRequest,
)
from app.services import reporting  # noqa: E402
from app.services.queue import explain  # noqa: E402
from app.services.register_seed import seed_register  # noqa: E402
from bench import common  # noqa: E402
from bench.common import CHUNK, NOW, TODAY, S, T  # noqa: E402
from tests.staff import make_staff, sign_in_as  # noqa: E402

NOTIFIED_TYPES = {T.ERASURE: NoticeAction.ERASURE, T.RECTIFICATION: NoticeAction.RECTIFICATION}
GROUNDS = [g for g in REFUSAL_GROUNDS if g != "other"]


def case_rows(
    total: int, staff_ids: list[int], recipient_ids: list[int], seed: int
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Cases received evenly over the last YEARS years, oldest first, in chunks of dicts, with
    the Art. 19 notices of a fifth of the closed erasures and rectifications.

    Cases received in the last five weeks are mostly open; a few older ones are still open
    (overdue); everything else is closed, most in time, some late, a tenth of those that take
    work after an extension.
    """
    rng = random.Random(seed)
    cases: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    for case_id, age, received_on, legal, extended, reference in common.received_days(total):
        kind = common.case_type(rng)
        at_once = kind is T.CONSENT_WITHDRAWAL or (kind is T.OBJECTION and rng.random() < 0.7)
        extended_on = extended if not at_once and rng.random() < 0.10 else None
        due = extended_on or legal
        status = S.COMPLETED if at_once else common.case_status(rng, age)
        received_at = common.received_time(rng, received_on, 8, 9)
        closed_at = closed_on = days = on_time = None
        if not status.is_open:
            if at_once:
                taken = 0
            elif status is S.REFUSED:
                taken = rng.randrange(3, (legal - received_on).days + 1)
            else:  # most well within the deadline in force, some late
                limit = (due - received_on).days
                taken = rng.randrange(1, limit + 1) if rng.random() < 0.95 else limit + 1
                taken += rng.randrange(12) if taken > limit else 0
            closed_at = received_at + timedelta(days=taken, hours=rng.randrange(6))
            closed_at = min(closed_at, NOW)
            closed_on = stockholm_date(closed_at)
            days, on_time = closing_figures(
                received_on, due, closed_on, withdrawn=status is S.WITHDRAWN
            )
        refused = status is S.REFUSED or (not status.is_open and rng.random() < 0.01)
        assigned = status is not S.RECEIVED or rng.random() < 0.3
        base = common.case_row(
            rng, total, n=case_id, reference=reference, kind=kind, status=status,
            received_at=received_at, received_on=received_on, legal=legal,
            extended_on=extended_on,
        )  # fmt: skip
        cases.append(
            {
                **base,
                "original_text": None,
                "closed_at": closed_at,
                "closed_on": closed_on,
                "days_to_close": days,
                "closed_on_time": on_time,
                "assignee_id": rng.choice(staff_ids) if assigned else None,
                "extension_reason": (
                    "Många system att gå igenom hos underleverantörer." if extended_on else None
                ),
                "extension_notified_at": (
                    received_at + timedelta(days=rng.randrange(5, 25)) if extended_on else None
                ),
                "refusal_scope": ("whole" if status is S.REFUSED else "partial")
                if refused
                else None,
                "refusal_ground": rng.choice(GROUNDS) if refused else None,
                "refusal_reasons": "Skälen står i beslutet." if refused else None,
                "refusal_notified_at": closed_at if refused else None,
                "updated_at": closed_at or received_at,
            }
        )
        if kind in NOTIFIED_TYPES and status is S.COMPLETED and rng.random() < 0.2:
            for recipient_id in rng.sample(recipient_ids, rng.randrange(1, 3)):
                notices.append(
                    {
                        "request_id": case_id,
                        "recipient_id": recipient_id,
                        "action": NOTIFIED_TYPES[kind],
                        "round": 1,
                        "method": NoticeMethod.EMAIL,
                        "status": rng.choice([NoticeStatus.CONFIRMED, NoticeStatus.SENT]),
                        "key": str(uuid.UUID(int=rng.getrandbits(128))),
                        "details": {},
                        "created_at": closed_at,
                        "attempts": 1,
                        "sent_at": closed_at,
                    }
                )
        if len(cases) == CHUNK:
            yield cases, notices
            cases, notices = [], []
    if cases:
        yield cases, notices


def build(session: Any, total: int, seed: int) -> tuple[StaffUser, float]:
    seed_register(session)
    staff = common.make_handlers(session)
    officer = make_staff(session, StaffRole.OFFICER, now=NOW)
    session.commit()
    ids = [user.id for user in staff]
    recipients = list(session.scalars(select(Recipient.id)))
    common.loading_fast(session)
    started = time.perf_counter()
    for cases, notices in case_rows(total, ids, recipients, seed):
        session.execute(insert(SubjectRequest), cases)
        if notices:
            session.execute(insert(RecipientNotice), notices)
        session.commit()
    return officer, time.perf_counter() - started


def main() -> None:
    args = common.case_arguments(__doc__.splitlines()[0])
    with common.database("dashboard-speed-", args.keep) as (app, path, fresh):
        with app.app_context():
            session = get_session()
            if fresh:
                officer, load = build(session, args.cases, args.seed)
                print(f"built {args.cases:,} cases in {load:.0f} s")
            else:
                officer = session.scalars(
                    select(StaffUser).where(StaffUser.role == StaffRole.OFFICER)
                ).one()
            size = common.database_mb(path)
            total = session.scalar(select(func.count()).select_from(SubjectRequest)) or 0
            print(f"database: {total:,} cases, {size:.0f} MB, SQLite "
                  f"{common.sqlite_version(session)}")  # fmt: skip
            period = reporting.default_period(TODAY)
            month = reporting.Period(date(2026, 10, 1), date(2026, 10, 31))
            queries: dict[str, Callable[[], Any]] = {
                "open cases by status and type": lambda: reporting.open_cases(session),
                "due within 7 days": lambda: reporting.due_soon_count(session, TODAY),
                "overdue (count + first 50)": lambda: reporting.overdue(session, TODAY),
                "requests per month per type": lambda: reporting.received_by_month(session, period),
                "on-time rate per month": lambda: reporting.on_time_by_month(session, period),
                "days to close per type": lambda: reporting.days_to_close(session, period),
                "extensions and refusals per month": lambda: reporting.decisions_by_month(
                    session, period
                ),
                "the whole dashboard (all above)": lambda: reporting.dashboard(
                    session, period, TODAY
                ),
            }
            board = reporting.dashboard(session, period, TODAY)
            print(f"open now: {board.open.total:,} ({board.overdue.total:,} overdue); in the "
                  f"period: {board.received_total:,} received, {board.answered:,} answered "
                  f"({board.on_time_rate:.1%} on time, median {board.all_types.median} days, "
                  f"p90 {board.all_types.p90}), {board.extensions:,} extensions, "
                  f"{board.refusals:,} refusals")  # fmt: skip
            print(f"\nreporting queries, period {period.start} – {period.end}, "
                  f"{args.runs} runs, ms:")  # fmt: skip
            print(f"  {'figure':<36} {'first':>7} {'median':>7} {'worst':>7}")
            for name, work in queries.items():
                print(common.timing_row(name, common.timed(work, args.runs), width=36))
            rows = sum(1 for _ in reporting.register_rows(session, month))
            print(f"\nregister rows of {month.start:%B %Y}: {rows:,}")
            week = reporting.Period(month.start, month.start + timedelta(days=6))
            week_rows = reporting.register_count(session, week)

            print("\nquery plans (EXPLAIN QUERY PLAN):")
            for name, query in reporting.queries(period, TODAY).items():
                print(f"  {name}:")
                for line in explain(session, query):
                    print(f"    {line}")
            session.close()

        client = sign_in_as(app, officer)
        start, end = month.start.isoformat(), month.end.isoformat()
        paths = {
            "GET /staff/dashboard": "/staff/dashboard",
            "GET /staff/dashboard (24 months)": "/staff/dashboard?start=2024-12-01&end=2026-11-24",
            f"GET register.csv ({rows:,} cases)": (
                f"/staff/dashboard/register.csv?start={start}&end={end}"
            ),
        }
        print(f"\nHTTP GET through the Flask test client, as the officer, {args.runs} runs, ms:")
        common.time_pages(client, paths, args.runs)
        pdf_week = f"start={week.start.isoformat()}&end={week.end.isoformat()}"
        answer = client.get(f"/staff/dashboard/register.pdf?{pdf_week}")
        figures = common.timed(
            lambda: client.get(f"/staff/dashboard/register.pdf?{pdf_week}").get_data(), 3
        )
        name = f"GET register.pdf ({week_rows:,} cases)"
        print(f"{common.timing_row(name, figures)}  ({len(answer.get_data()) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
