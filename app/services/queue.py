"""The staff queue: one page of light case rows, filtered and sorted by the deadline in force.

Built to stay fast with a million cases (design.md §8):

- only the columns the table shows are read (never ``details`` or ``original_text``);
- the filtering and sorting run on an index: (status, due_on), (type, due_on), (assignee_id,
  due_on), (due_on), email and reference; a set of statuses is read as one ordered index range
  per status, each stopped after a page, and merged, so no query sorts thousands of rows;
- pages are keyset pages on (due_on, id): page 200 costs what page 1 costs;
- the number of matches is counted only up to a cap, so no page load counts a million rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select, text, tuple_, union_all
from sqlalchemy.orm import Session

from app.core.deadlines import days_left
from app.core.workflow import CLOSED_STATUSES, RequestStatus, RequestType
from app.models import StaffUser, SubjectRequest

PAGE_SIZE = 50
COUNT_CAP = 1000
SOON_DAYS = 7
OPEN_STATUSES: tuple[RequestStatus, ...] = tuple(s for s in RequestStatus if s.is_open)
REFERENCE_PATTERN = re.compile(r"^DSR-\d{4}-\d{6}$")

_SR = SubjectRequest


class DueWindow(StrEnum):
    ALL = "all"
    OVERDUE = "overdue"  # open, deadline passed
    SOON = "soon"  # open, due today or within SOON_DAYS days


UNASSIGNED = "none"


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows. A search (reference or e-mail) looks through every case and
    ignores the other filters: staff looking up a case must find it whatever its status."""

    statuses: tuple[RequestStatus, ...] = OPEN_STATUSES  # () means every status
    type: RequestType | None = None
    assignee: int | str | None = None  # None: anyone; UNASSIGNED; or a staff id
    due: DueWindow = DueWindow.ALL
    reference: str | None = None  # exact, upper case (references are stored so)
    email: str | None = None  # exact, normalised lower case

    @property
    def is_search(self) -> bool:
        return bool(self.reference or self.email)


def search_filters(text: str) -> QueueFilters | None:
    """Filters for a search box entry: a reference (any case) or an e-mail address.

    Returns None when ``text`` is neither, so the caller can say what is expected.
    """
    text = (text or "").strip()
    if REFERENCE_PATTERN.match(text.upper()):
        return QueueFilters(statuses=(), reference=text.upper())
    if "@" in text and len(text) <= 254 and not any(c.isspace() for c in text):
        return QueueFilters(statuses=(), email=text.lower())
    return None


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in the (due_on, id) order: the last (or first) row of a page."""

    due_on: date
    id: int

    def encode(self) -> str:
        return f"{self.due_on.isoformat()}.{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        try:
            day, ident = text.split(".", 1)
            return cls(date.fromisoformat(day), int(ident))
        except ValueError:
            return None


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    type: RequestType
    status: RequestStatus
    received_on: date
    due_on: date
    assignee_id: int | None
    assignee_name: str | None

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.due_on, self.id)

    def days_left(self, today: date) -> int:
        return days_left(self.due_on, today)

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on < today

    def is_due_soon(self, today: date) -> bool:
        return self.is_open and 0 <= self.days_left(today) <= SOON_DAYS


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: Cursor | None  # set when there is a page after this one
    previous_cursor: Cursor | None  # set when there is a page before this one
    matches: int  # how many cases match, counted up to COUNT_CAP + 1
    capped: bool = field(default=False)  # more than COUNT_CAP match

    @property
    def first(self) -> bool:
        return self.previous_cursor is None


_COLUMNS = (
    _SR.id,
    _SR.reference,
    _SR.type,
    _SR.status,
    _SR.received_on,
    _SR.due_on,
    _SR.assignee_id,
    StaffUser.name,
)


def _statuses(filters: QueueFilters) -> tuple[RequestStatus, ...] | None:
    """The statuses to read, in a fixed order; None for all, () when nothing can match."""
    statuses: Sequence[RequestStatus] = filters.statuses or tuple(RequestStatus)
    if filters.due is not DueWindow.ALL:  # overdue and due soon are about open cases only
        statuses = [s for s in statuses if s not in CLOSED_STATUSES]
    elif not filters.statuses:
        return None
    return tuple(s for s in RequestStatus if s in statuses)


def _conditions(filters: QueueFilters, today: date) -> list[ColumnElement[bool]]:
    """Everything but the status (which decides how the rows are read)."""
    if filters.reference:
        return [_SR.reference == filters.reference]
    if filters.email:
        return [_SR.email == filters.email]
    where: list[ColumnElement[bool]] = []
    if filters.type is not None:
        where.append(_SR.type == filters.type)
    if filters.assignee == UNASSIGNED:
        where.append(_SR.assignee_id.is_(None))
    elif filters.assignee is not None:
        where.append(_SR.assignee_id == int(filters.assignee))
    if filters.due is DueWindow.OVERDUE:
        where.append(_SR.due_on < today)
    elif filters.due is DueWindow.SOON:
        where.append(_SR.due_on.between(today, today + timedelta(days=SOON_DAYS)))
    return where


def _ids(
    filters: QueueFilters,
    today: date,
    *,
    limit: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> Select[Any]:
    """The ids (with due_on) of up to ``limit`` matching rows, in page order.

    Ascending after ``after`` (or from the start), descending before ``before``.
    """
    where = _conditions(filters, today)
    key = tuple_(_SR.due_on, _SR.id)
    if after is not None:
        where.append(key > tuple_(after.due_on, after.id))
    if before is not None:
        where.append(key < tuple_(before.due_on, before.id))
    order = (_SR.due_on.desc(), _SR.id.desc()) if before else (_SR.due_on, _SR.id)
    statuses = None if filters.is_search else _statuses(filters)

    def ranged(*extra: ColumnElement[bool]) -> Select[Any]:
        return select(_SR.id, _SR.due_on).where(*where, *extra).order_by(*order).limit(limit)

    if statuses is None:
        return ranged()
    if not statuses:
        return ranged(false())
    if len(statuses) == 1:
        return ranged(_SR.status == statuses[0])
    # One index range per status, each in deadline order and cut at a page, merged: the
    # database never sorts more than len(statuses) * limit rows.
    parts = union_all(*(ranged(_SR.status == s).subquery().select() for s in statuses)).subquery()
    merged_order = (
        (parts.c.due_on.desc(), parts.c.id.desc()) if before else (parts.c.due_on, parts.c.id)
    )
    return select(parts.c.id, parts.c.due_on).order_by(*merged_order).limit(limit)


def count_query(filters: QueueFilters, today: date) -> Select[Any]:
    """How many cases match, counting at most COUNT_CAP + 1 (cheap at any table size)."""
    limited = _ids(filters, today, limit=COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(limited)


def count_matches(session: Session, filters: QueueFilters, today: date) -> int:
    return session.scalar(count_query(filters, today)) or 0


def page_query(
    filters: QueueFilters,
    *,
    today: date,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Select[Any]:
    """The rows of a page plus one (to tell whether there is more), in deadline order.

    The ids are found on an index first, then only those rows are read, with the assignee's name.
    """
    ids = _ids(filters, today, limit=size + 1, after=after, before=before).subquery()
    return (
        select(*_COLUMNS)
        .select_from(_SR)
        .join(ids, ids.c.id == _SR.id)
        .outerjoin(StaffUser, StaffUser.id == _SR.assignee_id)
        .order_by(_SR.due_on, _SR.id)
    )


def explain(session: Session, query: Select[Any]) -> list[str]:
    """SQLite's plan for a query, one line per step (for the benchmark and the tests)."""
    bind = session.get_bind()
    sql = str(query.compile(bind, compile_kwargs={"literal_binds": True}))
    return [str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]


def queue_page(
    session: Session,
    filters: QueueFilters,
    *,
    today: date,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue: after ``after``, before ``before``, or the first page."""
    query = page_query(filters, today=today, after=after, before=before, size=size)
    rows = [QueueRow(*row) for row in session.execute(query)]
    more = len(rows) > size
    if not rows and (after or before):  # the rows around went away: start from the top
        return queue_page(session, filters, today=today, size=size)
    if before is not None:
        rows = rows[1:] if more else rows  # the extra row is the one furthest back
        has_previous, has_next = more, True
    else:
        rows = rows[:size]
        has_previous, has_next = after is not None, more
    matches = count_matches(session, filters, today)
    return QueuePage(
        rows=rows,
        next_cursor=rows[-1].cursor if has_next and rows else None,
        previous_cursor=rows[0].cursor if has_previous and rows else None,
        matches=min(matches, COUNT_CAP),
        capped=matches > COUNT_CAP,
    )
