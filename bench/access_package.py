"""How long the access package takes, and how much memory, for a person with 10,000 messages.

Builds a fresh SQLite file database with the register, some demo data around the person (other
leads, the same company), and one lead with ``--communications`` entries in the communication
history (e-mails, call notes, LinkedIn messages, some of them long), meetings, consents and
technical records. Then it times ``collect_access_bundle()`` and each renderer, each in a forked
child process whose peak resident set size (ru_maxrss) is the memory that step needed, and
separately (slow for the PDF, so only with ``--trace-pdf``) tracemalloc's peak of Python
allocations.

Usage: .venv/bin/python bench/access_package.py [--communications 10000] [--language sv]
                                                [--trace-pdf]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import models  # noqa: E402  (after the path set-up)
from app.db import get_session  # noqa: E402
from app.exports.json_export import (  # noqa: E402
    render_access_csv,
    render_access_json,
    render_portability_csv,
    render_portability_json,
)
from app.exports.pdf_export import render_access_pdf  # noqa: E402
from app.services import demo  # noqa: E402
from app.services.fulfilment.bundle import (  # noqa: E402
    collect_access_bundle,
    collect_portability_bundle,
)
from bench.common import NOW, database, sqlite_version  # noqa: E402

EMAIL = "maria.kovacevic@fjallvindlogistik.se"
LONG_BODY = (
    "Hej Maria!\n\nTack för ett bra samtal i går. Som utlovat kommer här en sammanfattning av "
    "det vi pratade om, och några förslag på nästa steg. "
) + " ".join(["Vi går igenom era behov av energieffektivisering i lager och kontor, tittar på "
              "belysning, ventilation och uppvärmning, och tar fram en plan med kostnader och "
              "besparingar år för år."] * 12)  # fmt: skip


def build(session: Any, communications: int, seed: int) -> int:
    """The person and their history; returns the person's id. Bulk inserts, like the seeder."""
    demo.seed_demo(session, leads=2_000, now=NOW, seed=seed)
    session.flush()
    rng = random.Random(seed)
    company = models.Company(name="Fjällvind Logistik AB", org_number="556123-4567", city="Umeå")
    customer = models.Company(name="Stenbacka Energi AB", city="Västerås", is_customer=True)
    system = models.Recipient(
        name="Stenbacka Energi – Salesforce",
        kind=models.RecipientKind.CUSTOMER_SYSTEM,
        service_sv="Kundens CRM-system (Salesforce)",
        service_en="The customer's CRM system (Salesforce)",
        country="US",
        safeguard_sv="EU–US Data Privacy Framework (art. 45).",
        safeguard_en="EU–US Data Privacy Framework (Art. 45).",
    )
    person = models.Person(
        email=EMAIL,
        name="Maria Kovačević",
        phone="+46 70 174 06 55",
        job_title="Logistikchef",
        company=company,
        kind=models.PersonKind.LEAD,
        source="Köpt lista från Bisnode",
        created_at=NOW - timedelta(days=700),
        updated_at=NOW,
    )
    session.add_all([company, customer, system, person])
    session.flush()
    work = models.Assignment(
        person_id=person.id,
        customer_id=customer.id,
        recipient_id=system.id,
        campaign="Vinter 2025 – logistikansvariga i Norrland",
        started_on=(NOW - timedelta(days=700)).date(),
        delivered_at=NOW - timedelta(days=600),
    )
    session.add(work)
    session.flush()

    texts = [demo.EMAIL_OUT_BODY.format(first="Maria", customer="Stenbacka Energi",
                                        topic="energieffektivisering"),
             *demo.EMAIL_IN_BODIES, *demo.CALL_NOTES_OUT, LONG_BODY]  # fmt: skip
    rows = []
    start = NOW - timedelta(days=700)
    step = timedelta(days=700) / communications
    for n in range(communications):
        channel = rng.choices(("email", "phone", "linkedin", "sms"), (60, 25, 10, 5))[0]
        body = LONG_BODY if n % 200 == 0 else rng.choice(texts)
        rows.append(
            {
                "person_id": person.id,
                "assignment_id": work.id,
                "occurred_at": start + step * n,
                "channel": channel,
                "direction": "inbound" if rng.random() < 0.3 else "outbound",
                "subject": f"Ärende {n % 97}: möte om energieffektivisering"
                if channel == "email"
                else None,
                "body": body.format(first="Maria", customer="Stenbacka Energi"),
            }
        )
    for chunk in range(0, len(rows), 5_000):
        session.execute(insert(models.Communication), rows[chunk : chunk + 5_000])
    session.execute(
        insert(models.Meeting),
        [
            {
                "person_id": person.id,
                "assignment_id": work.id,
                "starts_at": start + timedelta(days=7 * n),
                "duration_minutes": 45,
                "status": rng.choice(("held", "cancelled", "no_show")),
                "location": "Microsoft Teams",
                "notes": "Uppföljning med Stenbacka Energi om energieffektivisering.",
            }
            for n in range(100)
        ],
    )
    marketing = session.scalar(
        select(models.Purpose.id).where(models.Purpose.code == demo.MARKETING_PURPOSE)
    )
    session.execute(
        insert(models.Consent),
        [
            {
                "person_id": person.id,
                "purpose_id": marketing,
                "given_at": start + timedelta(days=30 * n),
                "withdrawn_at": start + timedelta(days=30 * n + 20) if n == 0 else None,
                "evidence": "Anmälan till nyhetsbrev via formulär på lhe-handelsbolag.se",
                "wants_policy_notices": n == 1,
            }
            for n in range(2)
        ],
    )
    session.execute(
        insert(models.TechnicalRecord),
        [
            {
                "person_id": person.id,
                "occurred_at": start + timedelta(hours=7 * n),
                "event": rng.choice(demo.WEB_EVENTS),
                "ip_address": f"81.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}",
                "user_agent": rng.choice(demo.USER_AGENTS),
            }
            for n in range(1_000)
        ],
    )
    return person.id


def _rss_mb() -> float:
    """The process's resident set size now, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def measure(
    work: Callable[[], Any], *, trace: bool, after_fork: Callable[[], None]
) -> dict[str, float]:
    """Run ``work`` in a forked child: seconds, its peak RSS, and optionally tracemalloc's peak.

    A forked child shares the parent's pages (the database, the package already built); its
    peak RSS (``ru_maxrss``) minus its RSS when it started is the memory the step needed.
    tracemalloc (Python allocations only) slows allocation-heavy code such as the PDF layout
    several times, so it runs as a second, separate measurement. ``after_fork`` runs first in
    the child (it gives the child its own database connection).
    """
    gc.collect()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.close(read)
        after_fork()
        figures: dict[str, float] = {}
        start_rss = _rss_mb()
        started = time.perf_counter()
        cpu = time.process_time()
        output = work()
        figures["seconds"] = time.perf_counter() - started
        figures["cpu"] = time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux
        figures["rss"] = peak - start_rss
        figures["size"] = len(output) if isinstance(output, bytes) else 0
        if trace:
            gc.collect()
            tracemalloc.start()
            work()
            figures["traced"] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        os.write(write, json.dumps(figures).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        figures = json.loads(pipe.read() or "{}")
    os.waitpid(child, 0)
    return figures


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communications", type=int, default=10_000)
    parser.add_argument("--language", choices=("sv", "en"), default="sv")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--trace-pdf", action="store_true", help="also run the PDF under tracemalloc (slow)"
    )
    args = parser.parse_args()

    with database("access-package-") as (app, _, _), app.app_context():
        session = get_session()
        started = time.perf_counter()
        build(session, args.communications, args.seed)
        session.commit()
        print(f"built the database in {time.perf_counter() - started:.1f} s "
              f"(SQLite {sqlite_version(session)})")  # fmt: skip
        session.expire_all()

        def collect() -> Any:
            return collect_access_bundle(
                session, EMAIL, language=args.language, parts=None, now=NOW,
                reference="DSR-2026-000123",
            )  # fmt: skip

        def collect_portability() -> Any:
            return collect_portability_bundle(
                session, EMAIL, language=args.language, now=NOW, reference="DSR-2026-000124"
            )

        collect()  # warm up: imports, translations, SQLite's cache
        bundle = collect()
        portable = collect_portability()
        session.rollback()  # no connection stays checked out across the forks below
        engine = app.extensions["db.engine"]

        def after_fork() -> None:
            # A connection must not be shared with the parent: the child opens its own.
            engine.dispose(close=False)

        summary = bundle.summary()
        print(f"\nperson: {summary['communications']:,} communications, "
              f"{summary['meetings']} meetings, {summary['technical_records']:,} technical "
              f"records, {summary['consents']} consents, language {args.language}")  # fmt: skip
        steps: list[tuple[str, Callable[[], Any], bool]] = [
            ("collect_access_bundle()", collect, True),
            ("render_access_pdf()", lambda: render_access_pdf(bundle), args.trace_pdf),
            ("render_access_json()", lambda: render_access_json(bundle), True),
            ("render_access_csv()", lambda: render_access_csv(bundle), True),
            ("collect_portability_bundle()", collect_portability, True),
            ("render_portability_json()", lambda: render_portability_json(portable), True),
            ("render_portability_csv()", lambda: render_portability_csv(portable), True),
        ]
        print(f"\n  {'step':<30} {'wall':>8} {'cpu':>8} {'+peak RSS':>11} "
              f"{'tracemalloc':>12} {'output':>9}")  # fmt: skip
        for name, step, trace in steps:
            f = measure(step, trace=trace, after_fork=after_fork)
            traced = f"{f['traced']:9.1f} MB" if "traced" in f else f"{'-':>12}"
            size = f"{f['size'] / 1e6:6.2f} MB" if f["size"] else f"{'':>9}"
            print(f"  {name:<30} {f['seconds']:7.2f}s {f['cpu']:7.2f}s {f['rss']:8.0f} MB "
                  f"{traced} {size}")  # fmt: skip
        pdf = render_access_pdf(bundle)
        pages = len(PdfReader(BytesIO(pdf)).pages)
        print(f"\nPDF: {len(pdf) / 1e6:.1f} MB, {pages:,} pages; process RSS before the "
              f"steps {_rss_mb():.0f} MB")  # fmt: skip
        session.close()

    print(f"\nmachine: {cpu_model()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")  # fmt: skip


if __name__ == "__main__":
    main()
