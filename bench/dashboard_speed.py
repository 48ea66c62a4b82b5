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

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402  (after the path set-up, so the checkout is imported)
from app.clock import stockholm_date  # noqa: E402
from app.core.deadlines import extended_deadline, legal_deadline  # noqa: E402
from app.core.grounds import REFUSAL_GROUNDS  # noqa: E402
from app.core.permissions import StaffRole  # noqa: E402
from app.core.stats import closing_figures  # noqa: E402
from app.core.workflow import Channel, RequestStatus, RequestType  # noqa: E402
from app.db import Base, get_session  # noqa: E402
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
from tests.staff import make_staff, sign_in_as  # noqa: E402

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the tests' Tuesday in November
TODAY = stockholm_date(NOW)
YEARS = 4
CHUNK = 20_000
HANDLERS = 10

S = RequestStatus
T = RequestType
TYPE_WEIGHTS = {
    T.ACCESS: 35,
    T.ERASURE: 25,
    T.OBJECTION: 12,
    T.CONSENT_WITHDRAWAL: 10,
    T.RECTIFICATION: 8,
    T.RESTRICTION: 5,
    T.PORTABILITY: 5,
}
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
    types = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    span = YEARS * 365
    deadlines: dict[date, tuple[date, date]] = {}
    numbers: dict[int, int] = {}
    cases: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    for n in range(1, total + 1):
        age = span - (n * span) // total  # days before today, oldest first
        received_on = TODAY - timedelta(days=age)
        if received_on not in deadlines:
            deadlines[received_on] = (legal_deadline(received_on), extended_deadline(received_on))
        legal, extended = deadlines[received_on]
        kind = rng.choices(types, weights)[0]
        at_once = kind is T.CONSENT_WITHDRAWAL or (kind is T.OBJECTION and rng.random() < 0.7)
        extended_on = extended if not at_once and rng.random() < 0.10 else None
        due = extended_on or legal
        if at_once:
            status = S.COMPLETED
        elif age <= 35 or rng.random() < 0.003:
            status = rng.choices(
                [S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUBJECT, S.COMPLETED], [3, 5, 2, 2]
            )[0]
        else:
            status = rng.choices([S.COMPLETED, S.REFUSED, S.WITHDRAWN], [90, 4, 6])[0]
        year = received_on.year
        numbers[year] = numbers.get(year, 0) + 1
        received_at = datetime(
            received_on.year, received_on.month, received_on.day, 8, tzinfo=UTC
        ) + timedelta(minutes=rng.randrange(9 * 60))
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
        case_id = n
        cases.append(
            {
                "id": case_id,
                "reference": f"DSR-{year}-{numbers[year]:06d}",
                "type": kind,
                "status": status,
                "channel": Channel.PORTAL if rng.random() < 0.9 else Channel.EMAIL,
                "language": "sv" if rng.random() < 0.8 else "en",
                "email": f"person{rng.randrange(total * 3 // 4)}@example.com",
                "details": {"scope": "all", "parts": [], "formats": ["pdf"]},
                "original_text": None,
                "received_at": received_at,
                "received_on": received_on,
                "verified_at": received_at,
                "legal_due_on": legal,
                "extended_due_on": extended_on,
                "due_on": due,
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
                "created_at": received_at,
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
    staff = [
        make_staff(session, StaffRole.HANDLER, email=f"handler{i}@lhe.se", name=f"Handler {i}",
                   now=NOW)
        for i in range(HANDLERS)
    ]  # fmt: skip
    officer = make_staff(session, StaffRole.OFFICER, now=NOW)
    session.commit()
    ids = [user.id for user in staff]
    recipients = list(session.scalars(select(Recipient.id)))
    connection = session.connection()
    connection.exec_driver_sql("PRAGMA synchronous=OFF")  # loading only; the app runs with FULL
    started = time.perf_counter()
    for cases, notices in case_rows(total, ids, recipients, seed):
        session.execute(insert(SubjectRequest), cases)
        if notices:
            session.execute(insert(RecipientNotice), notices)
        session.commit()
    return officer, time.perf_counter() - started


def timed(work: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    """First run, median and worst of the others, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    rest = times[1:] or times
    return times[0], statistics.median(rest), max(rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dashboard-speed-") as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        fresh = not path.exists()
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench-secret-key-not-for-production",
                "DATABASE_URL": f"sqlite:///{path}",
                "MAIL_DIR": str(Path(tmp) / "mail"),
                "BASE_URL": "https://portal.example.test",
            }
        )
        app.extensions["clock"] = lambda: NOW
        with app.app_context():
            session = get_session()
            if fresh:
                Base.metadata.create_all(app.extensions["db.engine"])
                officer, load = build(session, args.cases, args.seed)
                print(f"built {args.cases:,} cases in {load:.0f} s")
            else:
                officer = session.scalars(
                    select(StaffUser).where(StaffUser.role == StaffRole.OFFICER)
                ).one()
            size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*")) / 1e6
            total = session.scalar(select(func.count()).select_from(SubjectRequest)) or 0
            print(f"database: {total:,} cases, {size:.0f} MB, SQLite "
                  f"{session.scalar(text('select sqlite_version()'))}")  # fmt: skip
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
                first_ms, median, worst = timed(work, args.runs)
                print(f"  {name:<36} {first_ms:7.1f} {median:7.1f} {worst:7.1f}")
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
        for name, url in paths.items():

            def get(url: str = url) -> None:
                answer = client.get(url)
                assert answer.status_code == 200, answer.status_code
                answer.get_data()

            first_ms, median, worst = timed(get, args.runs)
            print(f"  {name:<40} {first_ms:7.1f} {median:7.1f} {worst:7.1f}")
        pdf_week = f"start={week.start.isoformat()}&end={week.end.isoformat()}"
        answer = client.get(f"/staff/dashboard/register.pdf?{pdf_week}")
        first_ms, median, worst = timed(
            lambda: client.get(f"/staff/dashboard/register.pdf?{pdf_week}").get_data(), 3
        )
        name = f"GET register.pdf ({week_rows:,} cases)"
        print(f"  {name:<40} {first_ms:7.1f} {median:7.1f} {worst:7.1f}"
              f"  ({len(answer.get_data()) / 1e6:.1f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
