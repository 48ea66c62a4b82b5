"""How fast the staff queue answers with a million cases in a SQLite file database.

Builds the database (bulk ``insert()`` of plain dicts in chunks: a realistic mix of types,
statuses, deadlines and assignees, about 3 % open), then times the queue query of each kind of
view and the whole HTTP GET of ``/staff/`` through the Flask test client, signed in as a handler.
Prints the figures (milliseconds) and SQLite's query plans, which show the indexes in use.

Usage: .venv/bin/python bench/queue_speed.py [--cases 1000000] [--runs 7] [--keep PATH]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.permissions import StaffRole  # noqa: E402  (after the path set-up)
from app.db import get_session  # noqa: E402
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
from bench import common  # noqa: E402
from bench.common import CHUNK, NOW, TODAY, S, T  # noqa: E402
from tests.staff import make_staff, sign_in_as  # noqa: E402

WORDS = ["jag", "vill", "veta", "vilka", "uppgifter", "ni", "har", "om", "mig", "och", "varifrån",
         "ni", "har", "fått", "dem", "tack"]  # fmt: skip


def case_rows(total: int, staff_ids: list[int], seed: int) -> Iterator[list[dict[str, Any]]]:
    """Cases received evenly over the last YEARS years, oldest first, in chunks of dicts.

    Cases received in the last five weeks are mostly open; a few older ones are still open
    (overdue); everything else is closed, 10 % after an extension.
    """
    rng = random.Random(seed)
    chunk: list[dict[str, Any]] = []
    for n, age, received_on, legal, extended, reference in common.received_days(total):
        kind = common.case_type(rng)
        extended_on = extended if rng.random() < 0.10 else None
        if kind in (T.CONSENT_WITHDRAWAL,) or (kind is T.OBJECTION and rng.random() < 0.7):
            status = S.COMPLETED  # took effect at once
        else:
            status = common.case_status(rng, age)
        assigned = status is not S.RECEIVED or rng.random() < 0.3
        received_at = common.received_time(rng, received_on, 9, 8)
        base = common.case_row(
            rng, total, n=n, reference=reference, kind=kind, status=status,
            received_at=received_at, received_on=received_on, legal=legal,
            extended_on=extended_on,
        )  # fmt: skip
        chunk.append(
            {
                **base,
                "original_text": (
                    " ".join(rng.choices(WORDS, k=rng.randrange(10, 60)))
                    if rng.random() < 0.4
                    else None
                ),
                "closed_at": None if status.is_open else received_at + timedelta(days=9),
                "assignee_id": rng.choice(staff_ids) if assigned else None,
                "updated_at": received_at,
            }
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build(session: Any, total: int, seed: int) -> tuple[list[StaffUser], float]:
    staff = [*common.make_handlers(session), make_staff(session, StaffRole.OFFICER, now=NOW)]
    session.commit()
    ids = [user.id for user in staff]
    common.loading_fast(session)
    started = time.perf_counter()
    for chunk in case_rows(total, ids, seed):
        session.execute(insert(SubjectRequest), chunk)
        session.commit()
    return staff, time.perf_counter() - started


def main() -> None:
    args = common.case_arguments(__doc__.splitlines()[0])
    with common.database("queue-speed-", args.keep) as (app, path, fresh):
        with app.app_context():
            session = get_session()
            if fresh:
                staff, load = build(session, args.cases, args.seed)
                print(f"built {args.cases:,} cases in {load:.0f} s")
            else:
                staff = list(session.scalars(select(StaffUser).order_by(StaffUser.id)))
            handler = staff[0]
            size = common.database_mb(path)
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
                  f"{common.sqlite_version(session)}")  # fmt: skip

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
                figures = common.timed(
                    lambda f=filters, a=after: queue_page(session, f, today=TODAY, after=a),
                    args.runs,
                )
                matches = f"{result.matches:,}{'+' if result.capped else ''}"
                print(
                    f"{common.timing_row(name, figures, width=30)} {len(result.rows):5d} {matches}"
                )

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
        common.time_pages(client, paths, args.runs)


if __name__ == "__main__":
    main()
