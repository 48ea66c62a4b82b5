"""The ``portal`` command: serve, migrate, seed demo data, run the worker (design.md §1)."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.clock import now, stockholm_date
from app.db import get_session, new_session
from app.mail import outbox
from app.services import notices, policy, reminders, retention
from app.services.fulfilment import packages

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def _create_app() -> Flask:
    from app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Rättighetsportalen: the GDPR data-subject request portal."""


def alembic_config(app: Flask) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = app.extensions["db.engine"]
    return cfg


@click.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest), then seed the register if empty."""
    from app.services.register_seed import seed_register

    alembic_command.upgrade(alembic_config(current_app), revision)
    session = get_session()
    if seed_register(session):
        session.commit()
        click.echo("Seeded the register of processing (Art. 30) from the policy.")
    click.echo("Database is up to date.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Create a migration from the difference between the models and the database."""
    import app.models  # noqa: F401  (registers the tables)

    alembic_command.revision(alembic_config(current_app), message=message, autogenerate=True)


@click.command("seed-demo")
@click.option("--leads", default=2000, show_default=True, help="How many leads to create.")
@click.option("--seed", default=2026, show_default=True, help="Random seed: same seed, same data.")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no people yet.")
@with_appcontext
def seed_demo(leads: int, seed: int, if_empty: bool) -> None:
    """Fill the database with realistic Swedish demo data."""
    from app.services import demo
    from app.services.register_seed import seed_register

    session = get_session()
    if if_empty and not demo.is_empty(session):
        click.echo("Demo data already present; nothing added.")
    else:
        seed_register(session)
        started = time.perf_counter()
        summary = demo.seed_demo(session, leads=leads, seed=seed, now=now(), cases=True)
        session.commit()
        click.echo(
            f"Created {leads} leads and {summary.requests} requests "
            f"in {time.perf_counter() - started:.1f} s."
        )
    mail_dir = current_app.config["MAIL_DIR"]
    click.echo("Try the portal with one of these addresses. Without SMTP settings the e-mail with")
    click.echo(f"the link and code is printed here and written to {mail_dir}:")
    for address in demo.DEMO_ADDRESSES:
        click.echo(f"  {address}")
    click.echo("Staff pages: /staff/login. Demo accounts (password below; each sets up an")
    click.echo("authenticator app with a QR code at first sign-in):")
    for email, _name, role in demo.DEMO_STAFF:
        click.echo(f"  {role.value:8} {email}")
    click.echo(f"  password: {demo.DEMO_STAFF_PASSWORD}")


@dataclass
class WorkerReport(outbox.DeliveryReport):
    """What one round did: e-mail delivery counts, reminders queued, Art. 19 notices delivered
    (and still to retry), packages expired."""

    reminders: int = 0
    notices_sent: int = 0
    notices_retrying: int = 0
    packages_expired: int = 0
    policy_notices: int = 0
    purged: int = 0  # rows of the portal's own data removed by the retention purge

    @property
    def anything(self) -> bool:
        return any(
            (self.sent, self.retrying, self.failed, self.reminders, self.notices_sent,
             self.notices_retrying, self.packages_expired, self.policy_notices, self.purged)
        )  # fmt: skip

    def add(self, other: outbox.DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.expired += other.expired


def run_worker_once(app: Flask) -> WorkerReport:
    """One round of background work: deliver due e-mail, send the staff reminders due, deliver
    the Art. 19 notices due, delete the files of expired packages and queue the notices of a
    new privacy policy version."""
    with app.app_context():
        session = new_session()
        try:
            moment = now()
            report = WorkerReport()
            report.add(outbox.deliver(session, outbox.mailer(), moment))
            queued = _queue_reminders(session, moment)
            report.reminders = len(queued)
            if queued:
                report.add(outbox.deliver(session, outbox.mailer(), moment, ids=queued))
            delivered = notices.deliver_due(session, moment)
            report.notices_sent, report.notices_retrying = delivered.sent, delivered.retrying
            report.packages_expired = packages.expire_packages(session, moment)
            session.commit()
            report.purged = _purge(app, session, moment)
            report.policy_notices = policy.queue_policy_notices(session, moment)
            # Notices to recipients and of policy changes were queued in the outbox: send them.
            report.add(outbox.deliver(session, outbox.mailer(), moment))
            return report
        finally:
            session.close()


_PURGED_ON = "retention.purged_on"


def _purge(app: Flask, session: Session, moment: datetime) -> int:
    """The retention purge of one round, committed; its daily steps on a day's first round."""
    day = stockholm_date(moment)
    report = retention.purge(session, moment, daily=app.extensions.get(_PURGED_ON) != day)
    session.commit()
    app.extensions[_PURGED_ON] = day
    return report.total


def _queue_reminders(session: Session, moment: datetime) -> list[int]:
    """Queue each reminder in a transaction of its own, with its log rows; return the e-mail ids.

    A reminder another worker sent first (its log rows exist) is rolled back and skipped.
    """
    queued = []
    for reminder in reminders.pending(session, moment):
        try:
            email = reminders.queue(session, reminder, now=moment)
            session.commit()
        except IntegrityError:
            outbox.rollback(session)
            continue
        queued.append(email.id)
    return queued


def _worker_loop(app: Flask, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            report = run_worker_once(app)
            if report.anything:
                log.info(
                    "worker: %s sent, %s to retry, %s failed, %s reminders, "
                    "%s notices sent, %s notices to retry, %s packages expired, "
                    "%s policy notices queued, %s purged",
                    report.sent,
                    report.retrying,
                    report.failed,
                    report.reminders,
                    report.notices_sent,
                    report.notices_retrying,
                    report.packages_expired,
                    report.policy_notices,
                    report.purged,
                )
        except Exception:  # the loop must survive a bad round (database busy, SMTP odd)
            log.exception("worker round failed")
        stop.wait(interval)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Send queued e-mail and Art. 19 notices (retrying with backoff), the staff reminders,
    delete the files of expired packages, and purge the portal's own data past its time."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        report = run_worker_once(app)
        click.echo(
            f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed, "
            f"{report.reminders} reminders queued, {report.notices_sent} notices to recipients "
            f"sent, {report.notices_retrying} to retry, {report.packages_expired} packages "
            f"expired, {report.policy_notices} policy notices queued, {report.purged} purged."
        )
        return
    click.echo("Worker running; Ctrl+C stops it.")
    try:
        _worker_loop(app, float(app.config["WORKER_INTERVAL_SECONDS"]), threading.Event())
    except KeyboardInterrupt:
        click.echo("Worker stopped.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: $PORT or 5000.")
@click.option("--threads", default=8, show_default=True)
@click.option("--no-worker", is_flag=True, help="Do not run the worker inside this process.")
@with_appcontext
def serve(host: str, port: int | None, threads: int, no_worker: bool) -> None:
    """Serve with the production WSGI server (waitress), the worker in a background thread."""
    from waitress import serve as waitress_serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    port = port or int(os.environ.get("PORT", "5000"))
    stop = threading.Event()
    if not no_worker:
        interval = float(app.config["WORKER_INTERVAL_SECONDS"])
        threading.Thread(
            target=_worker_loop, args=(app, interval, stop), name="worker", daemon=True
        ).start()
    click.echo(f"Rättighetsportalen on http://{host}:{port}/ (Ctrl+C stops it)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="portal")
    finally:
        stop.set()


def stdin_is_terminal() -> bool:
    """Whether a person types at the command (then prompt), or a pipe feeds it."""
    return sys.stdin.isatty()


@click.command("create-staff")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["handler", "officer", "admin"]),
    required=True,
    help="handler works cases; officer also approves and reads the audit trail; admin manages "
    "accounts.",
)
@click.option("--name", default=None, help="The person's name (default: the address's local part).")
@with_appcontext
def create_staff(email: str, role: str, name: str | None) -> None:
    """Create a staff account for EMAIL. There are no default accounts: this is how the first
    administrator is made.

    The password is asked for twice, or read from the first line of standard input when that is
    not a terminal. The person sets up an authenticator app at their first sign-in.
    """
    from app.core.permissions import StaffRole
    from app.services import staff_accounts
    from app.services.passwords import PROBLEM_TEXTS

    session = get_session()
    try:
        address = staff_accounts.normalise_email(email)
    except staff_accounts.InvalidEmailError:
        raise click.ClickException(f"{email!r} is not a valid e-mail address.") from None
    if staff_accounts.find_by_email(session, address) is not None:
        raise click.ClickException(f"There is already an account for {address}.")
    if stdin_is_terminal():
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt="Repeat the password"
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = staff_accounts.create_account(
            session,
            email=address,
            name=name or "",
            role=StaffRole(role),
            password=password,
            now=now(),
        )
    except staff_accounts.WeakPasswordError as exc:
        raise click.ClickException(PROBLEM_TEXTS[exc.problem]) from None
    except staff_accounts.AccountExistsError:
        raise click.ClickException(f"There is already an account for {address}.") from None
    session.commit()
    click.echo(
        f"Created the {role} account {user.email}. At the first sign-in at /staff/login the "
        "person sets up an authenticator app."
    )


@click.command("export-leads")
@click.option("--recipient", "recipient_id", type=int, required=True, help="The recipient's id.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the CSV to this file (default: standard output).",
)
@with_appcontext
def export_leads(recipient_id: int, output: Path | None) -> None:
    """Export the leads delivered to a customer's system (recipient) as CSV, for its CRM.

    Restricted records, people who objected and suppressed addresses are left out.
    """
    from app.services import recipient_export

    session = get_session()
    try:
        rows = recipient_export.export_leads(session, recipient_id, now=now())
    except recipient_export.UnknownRecipientError:
        click.echo(f"Error: there is no recipient with id {recipient_id}.", err=True)
        raise click.exceptions.Exit(2) from None
    if output is None:
        text = io.StringIO()
        recipient_export.write_csv(rows, text)
        click.echo(text.getvalue(), nl=False)
    else:
        with output.open("w", encoding="utf-8", newline="") as stream:
            recipient_export.write_csv(rows, stream)
    session.commit()  # the export's audit entry
    log.info("lead export: recipient %s, %s rows", recipient_id, len(rows))
    if output is not None:
        click.echo(f"Wrote {len(rows)} leads to {output}.")


PURGE_NAMES = {
    retention.TOKENS: "expired verification tokens",
    retention.SESSIONS: "ended subject sessions",
    retention.PACKAGES: "expired packages (files deleted)",
    retention.EMAILS: "e-mails not tied to a case",
    retention.CASES: "closed cases reduced to the minimal log",
    retention.SUPPRESSIONS: "suppression entries",
}


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what is due; change nothing.")
@with_appcontext
def purge(dry_run: bool) -> None:
    """Remove the portal's own data that is due: expired tokens and sessions, expired packages'
    files, old e-mails not tied to a case, closed cases past the register's retention period
    (kept as a minimal log) and old suppression entries. The worker does this on its own."""
    session = get_session()
    report = retention.purge(session, now(), actor="cli")
    if dry_run:
        session.rollback()
    else:
        session.commit()
    click.echo("Due now (nothing was changed):" if dry_run else "Purged:")
    for kind in retention.PURGE_KINDS:
        click.echo(f"  {report.counts[kind]:>7}  {PURGE_NAMES[kind]}")


def init_app(app: Flask) -> None:
    for cmd in (db_group, seed_demo, worker, serve, create_staff):
        app.cli.add_command(cmd)
    app.cli.add_command(export_leads)
    app.cli.add_command(purge)
