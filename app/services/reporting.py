"""The privacy officer's figures and the register of requests for IMY.

Every figure is one query over one index, bounded by the period chosen (or by the open statuses),
so the dashboard costs the same with a thousand cases or a million outside the period
(design.md §8; bench/dashboard_speed.py measures it):

- open cases by status and type: ``(type, status, due_on)``, the open statuses only;
- due within 7 days and overdue: ``(status, due_on)``; the overdue list is the queue's own query;
- requests per month per type: ``(received_on, type)``, one row per day and type, added up into
  months here;
- on-time rate per month: ``(closed_on, closed_on_time)``, one row per day;
- median and 90th percentile of days to close per type: ``(closed_on, type, closed_on_time,
  days_to_close)``, a histogram (type, days → cases) from which the percentiles are read exactly
  (core/stats.py), instead of sorting the cases;
- extensions and refusals per month: ``(extension_notified_at)`` and ``(refusal_notified_at)``,
  one pass each, counted per Stockholm month.

Nothing is worked out per row at read time: ``processing.transition`` stores ``closed_on``,
``days_to_close`` and ``closed_on_time`` when a case closes. The definitions (days to close, on
time, withdrawn cases, median, percentile) are in core/stats.py and on the page.

The register reads the cases received in the period in (received_on, id) order, a chunk at a
time, and only the columns legal.md §6 lets it show: no e-mail address, no names, no texts of
the person (the extension reason, written by staff, is the one text it carries).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select, tuple_
from sqlalchemy.orm import Session

from app.clock import STOCKHOLM
from app.core import stats
from app.core.deadlines import add_months
from app.core.grounds import REFUSAL_GROUNDS
from app.core.stats import Month
from app.core.workflow import Channel, RequestStatus, RequestType
from app.models import Recipient, RecipientNotice, SubjectRequest
from app.models.fulfilment import NoticeStatus
from app.services.queue import (
    OPEN_STATUSES,
    SOON_DAYS,
    DueWindow,
    QueueFilters,
    QueueRow,
    page_query,
)

_SR = SubjectRequest
DEFAULT_MONTHS = 12
MAX_MONTHS = 60
"""The longest period the dashboard and the register take (five years)."""
OVERDUE_LISTED = 50
REGISTER_CHUNK = 1000


# --- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Stockholm dates, both included."""

    start: date
    end: date

    @property
    def months(self) -> list[Month]:
        return stats.months(self.start, self.end)

    def utc_bounds(self, first: date, after: date) -> tuple[datetime, datetime]:
        """Midnight in Stockholm of ``first`` and of ``after``, in UTC: a half-open interval."""
        return _midnight(first), _midnight(after)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM).astimezone(UTC)


def default_period(today: date) -> Period:
    """The last 12 months: from the first of the month 11 months back, through today."""
    return Period(Month.of(add_months(today, -(DEFAULT_MONTHS - 1))).first, today)


def period_problem(start: date, end: date, today: date) -> str | None:
    """Which rule a chosen period breaks (a key the view turns into a message), or None."""
    if end < start:
        return "end_before_start"
    if end > today:
        return "end_in_future"
    if len(stats.months(start, end)) > MAX_MONTHS:
        return "too_long"
    return None


# --- open cases now ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCases:
    counts: dict[tuple[RequestStatus, RequestType], int]

    def count(self, status: RequestStatus, type: RequestType) -> int:
        return self.counts.get((status, type), 0)

    def by_status(self) -> dict[RequestStatus, int]:
        return {s: sum(self.count(s, t) for t in RequestType) for s in OPEN_STATUSES}

    def by_type(self) -> dict[RequestType, int]:
        return {t: sum(self.count(s, t) for s in OPEN_STATUSES) for t in RequestType}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _open_query() -> Select[Any]:
    # Naming every type (a no-op as a filter) lets SQLite count on (type, status, due_on) alone,
    # one range per type and status, instead of looking up the type of each open case.
    return (
        select(_SR.type, _SR.status, func.count())
        .where(_SR.status.in_(OPEN_STATUSES), _SR.type.in_(tuple(RequestType)))
        .group_by(_SR.type, _SR.status)
    )


def open_cases(session: Session) -> OpenCases:
    """Open cases (received, in progress, waiting for the person) by status and type."""
    return OpenCases({(status, kind): n for kind, status, n in session.execute(_open_query())})


def _due_soon_query(today: date) -> Select[Any]:
    return select(func.count()).where(
        _SR.status.in_(OPEN_STATUSES), _SR.due_on.between(today, today + timedelta(days=SOON_DAYS))
    )


def due_soon_count(session: Session, today: date) -> int:
    """Open cases due today or within the next 7 days (the queue's "due soon")."""
    return session.scalar(_due_soon_query(today)) or 0


def _overdue_count_query(today: date) -> Select[Any]:
    return select(func.count()).where(_SR.status.in_(OPEN_STATUSES), _SR.due_on < today)


@dataclass(frozen=True)
class Overdue:
    rows: list[QueueRow]  # the earliest deadlines first, at most OVERDUE_LISTED
    total: int


def overdue(session: Session, today: date, limit: int = OVERDUE_LISTED) -> Overdue:
    """Open cases whose deadline in force has passed: how many, and the most overdue ones."""
    query = page_query(QueueFilters(due=DueWindow.OVERDUE), today=today, size=limit)
    rows = [QueueRow(*row) for row in session.execute(query)][:limit]
    return Overdue(rows=rows, total=session.scalar(_overdue_count_query(today)) or 0)


# --- the period's figures ----------------------------------------------------------------------


def _received_query(period: Period) -> Select[Any]:
    return (
        select(_SR.received_on, _SR.type, func.count())
        .where(_SR.received_on.between(period.start, period.end))
        .group_by(_SR.received_on, _SR.type)
    )


def received_by_month(session: Session, period: Period) -> dict[Month, dict[RequestType, int]]:
    """Requests received per month (by receipt date) and type; every month of the period."""
    counts = {month: dict.fromkeys(RequestType, 0) for month in period.months}
    for day, kind, n in session.execute(_received_query(period)):
        counts[Month.of(day)][kind] += n
    return counts


@dataclass(frozen=True)
class MonthOnTime:
    month: Month
    on_time: int
    late: int
    withdrawn: int  # closed as withdrawn: not counted in the rate

    @property
    def answered(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        return stats.rate(self.on_time, self.answered)


def _on_time_query(period: Period) -> Select[Any]:
    return (
        select(_SR.closed_on, _SR.closed_on_time, func.count())
        .where(_SR.closed_on.between(period.start, period.end))
        .group_by(_SR.closed_on, _SR.closed_on_time)
    )


def on_time_by_month(session: Session, period: Period) -> list[MonthOnTime]:
    """Cases closed per month (by closing date): answered on time, late, and withdrawn."""
    tally = {month: [0, 0, 0] for month in period.months}
    for day, on_time, n in session.execute(_on_time_query(period)):
        tally[Month.of(day)][0 if on_time else 1 if on_time is False else 2] += n
    return [MonthOnTime(month, *counts) for month, counts in tally.items()]


@dataclass(frozen=True)
class DaysToClose:
    type: RequestType | None  # None: every type together
    histogram: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return stats.total(self.histogram)

    @property
    def median(self) -> float | None:
        return stats.median(self.histogram)

    @property
    def p90(self) -> int | None:
        return stats.percentile(self.histogram, 0.9)


def _days_query(period: Period) -> Select[Any]:
    return (
        select(_SR.type, _SR.days_to_close, func.count())
        .where(_SR.closed_on.between(period.start, period.end), _SR.closed_on_time.is_not(None))
        .group_by(_SR.type, _SR.days_to_close)
    )


def days_to_close(session: Session, period: Period) -> list[DaysToClose]:
    """Days to close of the cases answered (completed or refused) in the period, per type,
    then for every type together (the last entry)."""
    per_type: dict[RequestType, dict[int, int]] = {kind: {} for kind in RequestType}
    every: dict[int, int] = {}
    for kind, days, n in session.execute(_days_query(period)):
        per_type[kind][days] = n
        every[days] = every.get(days, 0) + n
    return [DaysToClose(kind, hist) for kind, hist in per_type.items()] + [DaysToClose(None, every)]


@dataclass(frozen=True)
class MonthDecisions:
    month: Month
    extensions: int
    refusals: int  # whole or partial, by the date the person was told


def _monthly_count_query(column: Any, period: Period) -> Select[Any]:
    """One pass over the column's index: a count per Stockholm month of the period."""
    bounds = [
        (month, *period.utc_bounds(first, after))
        for month, first, after in stats.month_bounds(period.start, period.end)
    ]
    start, end = period.utc_bounds(period.start, period.end + timedelta(days=1))
    return select(
        *(
            func.coalesce(func.sum(case((and_(column >= low, column < high), 1), else_=0)), 0)
            for _month, low, high in bounds
        )
    ).where(column >= start, column < end)


def _extensions_query(period: Period) -> Select[Any]:
    return _monthly_count_query(_SR.extension_notified_at, period)


def _refusals_query(period: Period) -> Select[Any]:
    return _monthly_count_query(_SR.refusal_notified_at, period)


def decisions_by_month(session: Session, period: Period) -> list[MonthDecisions]:
    """Extensions (by the day the person was told) and refusals (ditto) per month."""
    extensions = session.execute(_extensions_query(period)).one()
    refusals = session.execute(_refusals_query(period)).one()
    return [
        MonthDecisions(month, int(e), int(r))
        for month, e, r in zip(period.months, extensions, refusals, strict=True)
    ]


@dataclass(frozen=True)
class Dashboard:
    period: Period
    today: date
    open: OpenCases
    due_soon: int
    overdue: Overdue
    received: dict[Month, dict[RequestType, int]]
    on_time: list[MonthOnTime]
    days: list[DaysToClose]
    decisions: list[MonthDecisions]

    @property
    def received_total(self) -> int:
        return sum(sum(per_type.values()) for per_type in self.received.values())

    def received_of(self, kind: RequestType) -> int:
        return sum(per_type[kind] for per_type in self.received.values())

    @property
    def answered(self) -> int:
        return sum(m.answered for m in self.on_time)

    @property
    def answered_on_time(self) -> int:
        return sum(m.on_time for m in self.on_time)

    @property
    def withdrawn(self) -> int:
        return sum(m.withdrawn for m in self.on_time)

    @property
    def on_time_rate(self) -> float | None:
        return stats.rate(self.answered_on_time, self.answered)

    @property
    def all_types(self) -> DaysToClose:
        return self.days[-1]

    @property
    def extensions(self) -> int:
        return sum(m.extensions for m in self.decisions)

    @property
    def refusals(self) -> int:
        return sum(m.refusals for m in self.decisions)


def dashboard(session: Session, period: Period, today: date) -> Dashboard:
    return Dashboard(
        period=period,
        today=today,
        open=open_cases(session),
        due_soon=due_soon_count(session, today),
        overdue=overdue(session, today),
        received=received_by_month(session, period),
        on_time=on_time_by_month(session, period),
        days=days_to_close(session, period),
        decisions=decisions_by_month(session, period),
    )


def queries(period: Period, today: date) -> dict[str, Select[Any]]:
    """Every query of the dashboard, by name (for the benchmark's and the tests' query plans)."""
    return {
        "open cases by status and type": _open_query(),
        "due within 7 days": _due_soon_query(today),
        "overdue count": _overdue_count_query(today),
        "overdue list": page_query(
            QueueFilters(due=DueWindow.OVERDUE), today=today, size=OVERDUE_LISTED
        ),
        "requests per month per type": _received_query(period),
        "on-time rate per month": _on_time_query(period),
        "days to close per type": _days_query(period),
        "extensions per month": _extensions_query(period),
        "refusals per month": _refusals_query(period),
        "register page": _register_query(period, None, REGISTER_CHUNK),
    }


# --- the register of requests --------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """One case as the register shows it: nothing about the person beyond the case's facts."""

    id: int
    reference: str
    type: RequestType
    channel: Channel
    status: RequestStatus
    received_at: datetime
    received_on: date
    legal_due_on: date
    extended_due_on: date | None
    extension_reason: str | None
    extension_notified_at: datetime | None
    refusal_scope: str | None
    refusal_ground: str | None
    closed_on: date | None
    days_to_close: int | None
    closed_on_time: bool | None
    notices: dict[NoticeStatus, int] = field(default_factory=dict)
    recipients: tuple[str, ...] = ()

    @property
    def received_local(self) -> datetime:
        """The moment of receipt in Swedish time."""
        return self.received_at.astimezone(STOCKHOLM)

    @property
    def extension_notified_on(self) -> date | None:
        if self.extension_notified_at is None:
            return None
        return self.extension_notified_at.astimezone(STOCKHOLM).date()

    @property
    def refusal_article(self) -> str | None:
        """The GDPR article the refusal rests on ("12.5"), None without one or for "other"."""
        if self.refusal_ground is None:
            return None
        return REFUSAL_GROUNDS.get(self.refusal_ground) or None

    def notice_count(self, status: NoticeStatus) -> int:
        return self.notices.get(status, 0)


_REGISTER_COLUMNS = (
    _SR.id,
    _SR.reference,
    _SR.type,
    _SR.channel,
    _SR.status,
    _SR.received_at,
    _SR.received_on,
    _SR.legal_due_on,
    _SR.extended_due_on,
    _SR.extension_reason,
    _SR.extension_notified_at,
    _SR.refusal_scope,
    _SR.refusal_ground,
    _SR.closed_on,
    _SR.days_to_close,
    _SR.closed_on_time,
)
"""Deliberately a list: never ``email``, ``details``, ``original_text`` or ``refusal_reasons``."""


def _register_query(period: Period, after: tuple[date, int] | None, limit: int) -> Select[Any]:
    where = [_SR.received_on.between(period.start, period.end)]
    if after is not None:
        where.append(tuple_(_SR.received_on, _SR.id) > tuple_(*after))
    return select(*_REGISTER_COLUMNS).where(*where).order_by(_SR.received_on, _SR.id).limit(limit)


def register_count(session: Session, period: Period) -> int:
    """How many cases were received in the period (an index range count)."""
    query = select(func.count()).where(_SR.received_on.between(period.start, period.end))
    return session.scalar(query) or 0


def _notices(
    session: Session, ids: Sequence[int]
) -> dict[int, tuple[dict[NoticeStatus, int], tuple[str, ...]]]:
    """The Art. 19 notices of these cases: how many per status, and the recipients' names."""
    found: dict[int, tuple[dict[NoticeStatus, int], list[str]]] = {}
    query = (
        select(RecipientNotice.request_id, RecipientNotice.status, Recipient.name)
        .join(Recipient, Recipient.id == RecipientNotice.recipient_id)
        .where(RecipientNotice.request_id.in_(ids))
        .order_by(RecipientNotice.request_id, Recipient.name, RecipientNotice.id)
    )
    for request_id, status, name in session.execute(query):
        counts, names = found.setdefault(request_id, ({}, []))
        counts[status] = counts.get(status, 0) + 1
        if name not in names:
            names.append(name)
    return {key: (counts, tuple(names)) for key, (counts, names) in found.items()}


def register_rows(
    session: Session, period: Period, *, chunk: int = REGISTER_CHUNK
) -> Iterator[RegisterRow]:
    """The cases received in the period, by receipt date, read a chunk at a time."""
    after: tuple[date, int] | None = None
    while True:
        rows = session.execute(_register_query(period, after, chunk)).all()
        if not rows:
            return
        notices = _notices(session, [row.id for row in rows])
        for row in rows:
            counts, names = notices.get(row.id, ({}, ()))
            yield RegisterRow(*row, notices=counts, recipients=names)
        if len(rows) < chunk:
            return
        after = (rows[-1].received_on, rows[-1].id)


@dataclass
class RegisterSummary:
    """The figures on the register's first page, over the cases in it (received in the period)."""

    cases: int = 0
    by_type: dict[RequestType, dict[RequestStatus, int]] = field(
        default_factory=lambda: {kind: dict.fromkeys(RequestStatus, 0) for kind in RequestType}
    )
    on_time: int = 0
    late: int = 0
    extensions: int = 0
    refusals_whole: int = 0
    refusals_partial: int = 0
    days: dict[int, int] = field(default_factory=dict)

    def add(self, row: RegisterRow) -> None:
        self.cases += 1
        self.by_type[row.type][row.status] += 1
        if row.closed_on_time is not None:
            self.on_time += row.closed_on_time
            self.late += not row.closed_on_time
            if row.days_to_close is not None:
                self.days[row.days_to_close] = self.days.get(row.days_to_close, 0) + 1
        self.extensions += row.extended_due_on is not None
        self.refusals_whole += row.refusal_scope == "whole"
        self.refusals_partial += row.refusal_scope == "partial"

    def of_type(self, kind: RequestType) -> int:
        return sum(self.by_type[kind].values())

    def of_status(self, status: RequestStatus) -> int:
        return sum(per_type[status] for per_type in self.by_type.values())

    @property
    def open(self) -> int:
        return sum(self.of_status(s) for s in OPEN_STATUSES)

    @property
    def answered(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        return stats.rate(self.on_time, self.answered)

    @property
    def median_days(self) -> float | None:
        return stats.median(self.days)

    @property
    def p90_days(self) -> int | None:
        return stats.percentile(self.days, 0.9)


def summarise(rows: Sequence[RegisterRow]) -> RegisterSummary:
    summary = RegisterSummary()
    for row in rows:
        summary.add(row)
    return summary
