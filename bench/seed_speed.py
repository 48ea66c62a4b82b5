"""How fast the demo seeder fills a SQLite file database: leads per second and rows written.

Usage: .venv/bin/python bench/seed_speed.py [--leads 100000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import get_session  # noqa: E402  (after the path set-up)
from app.services.demo import DEMO_TABLES, seed_demo  # noqa: E402
from app.services.register_seed import seed_register  # noqa: E402
from bench.common import database, database_mb  # noqa: E402

COUNTED = DEMO_TABLES  # every table the seeder writes, parents first


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in COUNTED
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with database("seed-speed-") as (app, path, _):
        with app.app_context():
            session = get_session()
            seed_register(session)  # not timed: the register is there before any demo data
            session.commit()
            before = _counts(session)
            now = datetime.now(UTC)
            started = time.perf_counter()
            summary = seed_demo(session, leads=args.leads, seed=args.seed, now=now)
            seeded = time.perf_counter() - started
            session.commit()
            elapsed = time.perf_counter() - started
            after = _counts(session)
            counts = {table: after[table] - before[table] for table in after}
            session.close()
        assert summary.rows == sum(counts.values()), "the summary disagrees with the database"
        size_mb = database_mb(path)

    print(f"leads:            {args.leads:,}")
    committed = elapsed - seeded
    print(f"elapsed:          {elapsed:.1f} s (seed_demo {seeded:.1f} s, commit {committed:.1f} s)")
    print(f"leads per second: {args.leads / elapsed:,.0f}")
    print(f"rows per second:  {sum(counts.values()) / elapsed:,.0f}")
    print(f"database size:    {size_mb:.0f} MB")
    print("rows added:")
    for table, count in counts.items():
        print(f"  {table:<20} {count:>10,}")
    print(f"  {'total':<20} {sum(counts.values()):>10,}")


if __name__ == "__main__":
    main()
