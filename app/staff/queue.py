"""The queue: every case with its deadline, filtered, searched, paged; bulk assignment."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectField

from app.clock import now, today
from app.core.permissions import Permission, StaffRole
from app.core.workflow import RequestStatus, RequestType
from app.db import get_session
from app.mail import outbox
from app.models import StaffUser, SubjectRequest
from app.portal.forms import normalise_email
from app.services import casework
from app.services.queue import (
    OPEN_STATUSES,
    UNASSIGNED,
    Cursor,
    DueWindow,
    QueueFilters,
    queue_page,
    search_filters,
)
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.forms import (
    ALL,
    ANY,
    ME,
    OPEN,
    BulkAssignForm,
    QueueFilterForm,
    set_assignees,
)

BULK_MAX = 200
_CURSOR_ARGS = ("after", "before")


def case_staff(session: Session) -> list[StaffUser]:
    """Active staff who work cases: the people a case can be assigned to."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(
                StaffUser.active.is_(True),
                StaffUser.role.in_([StaffRole.HANDLER, StaffRole.OFFICER]),
            )
            .order_by(StaffUser.name, StaffUser.id)
        )
    )


def _choice(field: SelectField, default: str) -> str:
    """The field's value if it is one of its choices, else the default (an empty value too)."""
    allowed = {choice.value for choice in field.choices}  # type: ignore[union-attr]
    return field.data if not field.errors and field.data in allowed else default


def _filters(form: QueueFilterForm, me: StaffUser) -> QueueFilters:
    """Filters from the form; a field with a value not on its list keeps its default."""
    query = (form.q.data or "").strip()
    if query and not form.q.errors:
        if "@" in query:
            try:
                query = normalise_email(query)
            except ValueError:
                query = query.lower()
        found = search_filters(query)
        if found is not None:
            return found
        form.q.errors.append(
            _("Enter a whole reference, such as DSR-2026-000123, or a whole e-mail address.")
        )

    status = _choice(form.status, OPEN)
    if status == OPEN:
        statuses: tuple[RequestStatus, ...] = OPEN_STATUSES
    elif status == ALL:
        statuses = ()
    else:
        statuses = (RequestStatus(status),)
    type_value = _choice(form.type, ALL)
    assignee_value = _choice(form.assignee, ANY)
    assignee: int | str | None
    if assignee_value == ANY:
        assignee = None
    elif assignee_value == ME:
        assignee = me.id
    elif assignee_value == UNASSIGNED:
        assignee = UNASSIGNED
    else:
        assignee = int(assignee_value)
    due = _choice(form.due, DueWindow.ALL.value)
    return QueueFilters(
        statuses=statuses,
        type=None if type_value == ALL else RequestType(type_value),
        assignee=assignee,
        due=DueWindow(due),
    )


def _page_link(**cursor: str) -> str:
    args = {k: v for k, v in request.args.items() if k not in _CURSOR_ARGS}
    return url_for("staff.queue", **args, **cursor)


@bp.get("/")
@require(Permission.WORK_CASES)
def queue() -> tuple[str, int] | str:
    me = current_staff()
    db = get_session()
    staff = case_staff(db)
    form = QueueFilterForm(formdata=request.args or None, staff=staff)
    valid = form.validate() if request.args else True
    filters = _filters(form, me)
    after = Cursor.decode(request.args.get("after"))
    before = None if after else Cursor.decode(request.args.get("before"))
    moment = today()
    page = queue_page(db, filters, today=moment, after=after, before=before)
    bulk = BulkAssignForm(formdata=None, prefix="bulk")
    set_assignees(bulk.assignee, staff)
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "page": page,
        "bulk": bulk,
        "today": moment,
        "me": me,
        "next_url": _page_link(after=page.next_cursor.encode()) if page.next_cursor else None,
        "previous_url": (
            _page_link(before=page.previous_cursor.encode()) if page.previous_cursor else None
        ),
        "first_url": _page_link() if page.previous_cursor else None,
        "here": request.full_path.rstrip("?"),
    }
    html = render_template("staff/queue.html", **context)
    return (html, 400) if not valid or form.q.errors else html


def _back(target: str | None) -> str:
    """Back to the queue view the form came from; only a path on the queue itself."""
    if target and target.startswith("/staff/") and not target.startswith("//"):
        path = target.split("?", 1)[0]
        if path in ("/staff/", "/staff"):
            return target
    return url_for("staff.queue")


@bp.post("/assign")
@require(Permission.WORK_CASES)
def bulk_assign() -> BaseResponse:
    me = current_staff()
    db = get_session()
    staff = case_staff(db)
    form = BulkAssignForm(prefix="bulk")
    set_assignees(form.assignee, staff)
    back = _back(form.next.data)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(back, code=303)
    ids = sorted(set(form.cases.data))
    if len(ids) > BULK_MAX:
        flash(_("Choose at most %(max)d cases at a time.", max=BULK_MAX), "error")
        return redirect(back, code=303)
    assignee = None
    if form.assignee.data != UNASSIGNED:
        assignee = next(u for u in staff if str(u.id) == form.assignee.data)
    moment = now()
    cases = db.scalars(select(SubjectRequest).where(SubjectRequest.id.in_(ids))).all()
    done = 0
    closed = 0
    for case in cases:
        try:
            casework.assign(db, case, assignee, by=me, now=moment)
        except casework.CaseClosedError:
            closed += 1
        else:
            done += 1
    outbox.commit(db, moment)
    if assignee is None:
        flash(ngettext("%(num)d case unassigned.", "%(num)d cases unassigned.", done), "success")
    else:
        flash(
            ngettext(
                "%(num)d case assigned to %(name)s.",
                "%(num)d cases assigned to %(name)s.",
                done,
                name=assignee.name,
            ),
            "success",
        )
    if closed:
        flash(
            ngettext(
                "%(num)d case was not assigned: it is closed.",
                "%(num)d cases were not assigned: they are closed.",
                closed,
            ),
            "error",
        )
    return redirect(back, code=303)
