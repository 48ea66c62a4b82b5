"""What the benchmark scripts share: a fixed moment, the app on a SQLite file database, the staff,
the parts of a bulk-inserted case that every script writes alike, and timing of repeated work.

The scripts put the checkout on the import path first and then import this module as
``bench.common``, so ``python bench/<script>.py`` works from the checkout's root.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import create_app
from app.clock import stockholm_date
from app.core.deadlines import extended_deadline, legal_deadline
from app.core.permissions import StaffRole
from app.core.workflow import Channel, RequestStatus, RequestType
from app.db import Base
from app.models import StaffUser

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the tests' Tuesday in November
TODAY = stockholm_date(NOW)
YEARS = 4  # the cases' receipt dates span this many years before TODAY
CHUNK = 20_000  # cases per bulk insert
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
_TYPES = list(TYPE_WEIGHTS)
_WEIGHTS = list(TYPE_WEIGHTS.values())


def bench_app(database: Path, folder: Path) -> Flask:
    """The app on the SQLite file ``database``, mail written under ``folder``, the clock at NOW."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "DATABASE_URL": f"sqlite:///{database}",
            "MAIL_DIR": str(folder / "mail"),
            "BASE_URL": "https://portal.example.test",
        }
    )
    app.extensions["clock"] = lambda: NOW
    return app


def case_arguments(description: str) -> argparse.Namespace:
    """The options of the scripts that build a database of cases: how many, runs, seed, keep."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    return parser.parse_args()


@contextmanager
def database(prefix: str, keep: Path | None = None) -> Iterator[tuple[Flask, Path, bool]]:
    """The app on the database file ``keep`` or on a new one in a temporary folder named after
    ``prefix``: (app, database file, fresh), where fresh means the tables were just made."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        path = keep or Path(tmp) / "bench.db"
        fresh = not path.exists()
        app = bench_app(path, Path(tmp))
        if fresh:
            Base.metadata.create_all(app.extensions["db.engine"])
        yield app, path, fresh


def database_mb(database: Path) -> float:
    """The size of the database file with its journal files, in MB."""
    return sum(f.stat().st_size for f in database.parent.glob(database.name + "*")) / 1e6


def sqlite_version(session: Session) -> str:
    return str(session.scalar(text("select sqlite_version()")))


def make_handlers(session: Session) -> list[StaffUser]:
    """HANDLERS case handlers, not committed."""
    from tests.staff import make_staff  # only here: the scripts without staff need not load it

    return [
        make_staff(session, StaffRole.HANDLER, email=f"handler{i}@lhe.se", name=f"Handler {i}",
                   now=NOW)
        for i in range(HANDLERS)
    ]  # fmt: skip


def loading_fast(session: Session) -> None:
    """Stop waiting for the disk on each commit: for loading only; the app runs with FULL."""
    session.connection().exec_driver_sql("PRAGMA synchronous=OFF")


def received_days(total: int) -> Iterator[tuple[int, int, date, date, date, str]]:
    """``total`` cases received evenly over the last YEARS years, oldest first: each case's
    number (its id, from 1), age in days, date of receipt, legal and extended deadlines and
    reference (numbered per year)."""
    span = YEARS * 365
    deadlines: dict[date, tuple[date, date]] = {}
    numbers: dict[int, int] = {}
    for n in range(1, total + 1):
        age = span - (n * span) // total  # days before today, oldest first
        received_on = TODAY - timedelta(days=age)
        if received_on not in deadlines:
            deadlines[received_on] = (legal_deadline(received_on), extended_deadline(received_on))
        legal, extended = deadlines[received_on]
        year = received_on.year
        numbers[year] = numbers.get(year, 0) + 1
        yield n, age, received_on, legal, extended, f"DSR-{year}-{numbers[year]:06d}"


def case_type(rng: random.Random) -> RequestType:
    return rng.choices(_TYPES, _WEIGHTS)[0]


def case_status(rng: random.Random, age: int) -> RequestStatus:
    """The status of a case that takes work: received in the last five weeks, mostly open; a
    few older ones still open (overdue); the rest closed."""
    if age <= 35 or rng.random() < 0.003:
        return rng.choices(
            [S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUBJECT, S.COMPLETED], [3, 5, 2, 2]
        )[0]
    return rng.choices([S.COMPLETED, S.REFUSED, S.WITHDRAWN], [90, 4, 6])[0]


def received_time(rng: random.Random, day: date, hour: int, hours: int) -> datetime:
    """A moment on ``day`` between ``hour`` and ``hours`` hours later (UTC)."""
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return start + timedelta(minutes=rng.randrange(hours * 60))


def case_row(
    rng: random.Random,
    total: int,
    *,
    n: int,
    reference: str,
    kind: RequestType,
    status: RequestStatus,
    received_at: datetime,
    received_on: date,
    legal: date,
    extended_on: date | None,
) -> dict[str, Any]:
    """The columns every script writes alike for case ``n``, for a bulk ``insert()``."""
    return {
        "id": n,
        "reference": reference,
        "type": kind,
        "status": status,
        "channel": Channel.PORTAL if rng.random() < 0.9 else Channel.EMAIL,
        "language": "sv" if rng.random() < 0.8 else "en",
        "email": f"person{rng.randrange(total * 3 // 4)}@example.com",
        "details": {"scope": "all", "parts": [], "formats": ["pdf"]},
        "received_at": received_at,
        "received_on": received_on,
        "verified_at": received_at,
        "legal_due_on": legal,
        "extended_due_on": extended_on,
        "due_on": extended_on or legal,
        "created_at": received_at,
    }


def timed(work: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    """First run, median and worst of the others, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    rest = times[1:] or times
    return times[0], statistics.median(rest), max(rest)


def timing_row(name: str, figures: tuple[float, float, float], width: int = 40) -> str:
    first, median, worst = figures
    return f"  {name:<{width}} {first:7.1f} {median:7.1f} {worst:7.1f}"


def time_pages(client: FlaskClient, paths: Mapping[str, str], runs: int) -> None:
    """Print the first, median and worst time of a whole GET of each path (answering 200)."""
    for name, url in paths.items():

        def get(url: str = url) -> None:
            answer = client.get(url)
            assert answer.status_code == 200, answer.status_code
            answer.get_data()

        print(timing_row(name, timed(get, runs)))
