"""How fast the staff queue answers with a million cases in a SQLite file database.

Builds the database (bulk ``insert()`` of plain dicts in chunks: a realistic mix of types,
statuses, deadlines and assignees, about 3 % open), then times the queue query of each kind of
view and the whole HTTP GET of ``/staff/`` through the Flask test client, signed in as a handler.
Prints the figures (milliseconds) and SQLite's query plans, which show the indexes in use.

Usage: .venv/bin/python bench/queue_speed.py [--cases 1000000] [--runs 7] [--keep PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
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
from app.core.permissions import StaffRole  # noqa: E402
from app.core.workflow import Channel, RequestStatus, RequestType  # noqa: E402
from app.db import Base, get_session  # noqa: E402
from app.models import StaffUser, SubjectRequest  # noqa: E402
from app.services.queue import (  # noqa: E402
    UNASSIGNED,
    Cursor,
    DueWindow,
    QueueFilters,
    count_query,
    explain,
    page_query,
    queue_page,
    search_filters,
)
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
WORDS = ["jag", "vill", "veta", "vilka", "uppgifter", "ni", "har", "om", "mig", "och", "varifrån",
         "ni", "har", "fått", "dem", "tack"]  # fmt: skip


def case_rows(total: int, staff_ids: list[int], seed: int) -> Iterator[list[dict[str, Any]]]:
    """Cases received evenly over the last YEARS years, oldest first, in chunks of dicts.

    Cases received in the last five weeks are mostly open; a few older ones are still open
    (overdue); everything else is closed, 10 % after an extension.
    """
    rng = random.Random(seed)
    types = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    span = YEARS * 365
    deadlines: dict[date, tuple[date, date]] = {}
    numbers: dict[int, int] = {}
    chunk: list[dict[str, Any]] = []
    for n in range(1, total + 1):
        age = span - (n * span) // total  # days before today, oldest first
        received_on = TODAY - timedelta(days=age)
        if received_on not in deadlines:
            deadlines[received_on] = (
                legal_deadline(received_on),
                extended_deadline(received_on),
            )
        legal, extended = deadlines[received_on]
        kind = rng.choices(types, weights)[0]
        extended_on = extended if rng.random() < 0.10 else None
        if kind in (T.CONSENT_WITHDRAWAL,) or (kind is T.OBJECTION and rng.random() < 0.7):
            status = S.COMPLETED  # took effect at once
        elif age <= 35 or rng.random() < 0.003:
            status = rng.choices(
                [S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUBJECT, S.COMPLETED], [3, 5, 2, 2]
            )[0]
        else:
            status = rng.choices([S.COMPLETED, S.REFUSED, S.WITHDRAWN], [90, 4, 6])[0]
        assigned = status is not S.RECEIVED or rng.random() < 0.3
        year = received_on.year
        numbers[year] = numbers.get(year, 0) + 1
        received_at = datetime(
            received_on.year, received_on.month, received_on.day, 9, tzinfo=UTC
        ) + timedelta(minutes=rng.randrange(8 * 60))
        chunk.append(
            {
                "id": n,
                "reference": f"DSR-{year}-{numbers[year]:06d}",
                "type": kind,
                "status": status,
                "channel": Channel.PORTAL if rng.random() < 0.9 else Channel.EMAIL,
                "language": "sv" if rng.random() < 0.8 else "en",
                "email": f"person{rng.randrange(total * 3 // 4)}@example.com",
                "details": {"scope": "all", "parts": [], "formats": ["pdf"]},
                "original_text": (
                    " ".join(rng.choices(WORDS, k=rng.randrange(10, 60)))
                    if rng.random() < 0.4
                    else None
                ),
                "received_at": received_at,
                "received_on": received_on,
                "verified_at": received_at,
                "legal_due_on": legal,
                "extended_due_on": extended_on,
                "due_on": extended_on or legal,
                "closed_at": None if status.is_open else received_at + timedelta(days=9),
                "assignee_id": rng.choice(staff_ids) if assigned else None,
                "created_at": received_at,
                "updated_at": received_at,
            }
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build(session: Any, total: int, seed: int) -> tuple[list[StaffUser], float]:
    staff = [
        make_staff(session, StaffRole.HANDLER, email=f"handler{i}@lhe.se", name=f"Handler {i}",
                   now=NOW)
        for i in range(HANDLERS)
    ] + [make_staff(session, StaffRole.OFFICER, now=NOW)]  # fmt: skip
    session.commit()
    ids = [user.id for user in staff]
    connection = session.connection()
    connection.exec_driver_sql("PRAGMA synchronous=OFF")  # loading only; the app runs with FULL
    started = time.perf_counter()
    for chunk in case_rows(total, ids, seed):
        session.execute(insert(SubjectRequest), chunk)
        session.commit()
    return staff, time.perf_counter() - started


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

    with tempfile.TemporaryDirectory(prefix="queue-speed-") as tmp:
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
                staff, load = build(session, args.cases, args.seed)
                print(f"built {args.cases:,} cases in {load:.0f} s")
            else:
                staff = list(session.scalars(select(StaffUser).order_by(StaffUser.id)))
            handler = staff[0]
            size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*")) / 1e6
            by_status = dict(
                session.execute(
                    select(SubjectRequest.status, func.count()).group_by(SubjectRequest.status)
                ).all()
            )
            total = sum(by_status.values())
            open_count = sum(n for s, n in by_status.items() if s.is_open)
            overdue = session.scalar(
                select(func.count()).where(
                    SubjectRequest.status.in_([s for s in S if s.is_open]),
                    SubjectRequest.due_on < TODAY,
                )
            )
            print(f"database: {total:,} cases, {open_count:,} open ({open_count / total:.1%}),")
            print(f"          {overdue:,} overdue, {size:.0f} MB, SQLite "
                  f"{session.scalar(text('select sqlite_version()'))}")  # fmt: skip

            sample = session.execute(
                select(SubjectRequest.reference, SubjectRequest.email)
                .where(SubjectRequest.id == total // 2)
            ).one()  # fmt: skip
            by_email = search_filters(sample.email.upper())
            by_reference = search_filters(sample.reference.lower())
            assert by_email is not None
            assert by_reference is not None
            first = queue_page(session, QueueFilters(), today=TODAY)
            assert first.next_cursor is not None
            views: dict[str, tuple[QueueFilters, Cursor | None]] = {
                "default (open, by deadline)": (QueueFilters(), None),
                "page 2 of the default": (QueueFilters(), first.next_cursor),
                "type erasure + overdue": (
                    QueueFilters(type=T.ERASURE, due=DueWindow.OVERDUE),
                    None,
                ),
                "type erasure, open": (QueueFilters(type=T.ERASURE), None),
                "due within 7 days": (QueueFilters(due=DueWindow.SOON), None),
                "assigned to me, open": (QueueFilters(assignee=handler.id), None),
                "unassigned, open": (QueueFilters(assignee=UNASSIGNED), None),
                "assigned to me, all statuses": (
                    QueueFilters(statuses=(), assignee=handler.id),
                    None,
                ),
                "status completed": (QueueFilters(statuses=(S.COMPLETED,)), None),
                "all statuses": (QueueFilters(statuses=()), None),
                "search by e-mail": (by_email, None),
                "search by reference": (by_reference, None),
            }
            print(f"\nqueue_page() (page query + capped count), {args.runs} runs, ms:")
            print(f"  {'view':<30} {'first':>7} {'median':>7} {'worst':>7} {'rows':>5} matches")
            for name, (filters, after) in views.items():
                result = queue_page(session, filters, today=TODAY, after=after)
                first_ms, median, worst = timed(
                    lambda f=filters, a=after: queue_page(session, f, today=TODAY, after=a),
                    args.runs,
                )
                matches = f"{result.matches:,}{'+' if result.capped else ''}"
                print(f"  {name:<30} {first_ms:7.1f} {median:7.1f} {worst:7.1f} "
                      f"{len(result.rows):5d} {matches}")  # fmt: skip

            print("\nquery plans (EXPLAIN QUERY PLAN):")
            for name, (filters, after) in views.items():
                print(f"  {name}:")
                for line in explain(session, page_query(filters, today=TODAY, after=after)):
                    print(f"    page:  {line}")
            for line in explain(session, count_query(QueueFilters(), TODAY)):
                print(f"    count (default view): {line}")
            session.close()

        client = sign_in_as(app, handler)
        paths = {
            "GET /staff/": "/staff/",
            "GET /staff/?type=erasure&due=overdue": "/staff/?type=erasure&due=overdue",
            "GET /staff/?q=<e-mail>": f"/staff/?q={sample.email}",
            "GET /staff/ page 2": f"/staff/?after={first.next_cursor.encode()}",
        }
        print(f"\nHTTP GET through the Flask test client, as a handler, {args.runs} runs, ms:")
        for name, url in paths.items():

            def get(url: str = url) -> None:
                answer = client.get(url)
                assert answer.status_code == 200, answer.status_code

            first_ms, median, worst = timed(get, args.runs)
            print(f"  {name:<40} {first_ms:7.1f} {median:7.1f} {worst:7.1f}")


if __name__ == "__main__":
    main()
