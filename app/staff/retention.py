"""Retention for the privacy officer: the controller's records past their rule, per category of
the register, and their erasure in bulk (``app.services.retention``).

The overview counts what is due and what is held back; a category's page lists the items, paged,
each with the day its period started, its last day and why it is held, if it is (a view of
personal data: in the audit trail). Erasing goes through a confirmation that shows the next
batch's counts row by row; the POST erases exactly that batch, or nothing if the data changed
since.

Erasing whole records sends Art. 19 notices without a case; the overview lists the undecided ones
with the case page's table and actions (``app.staff.notices``): record the recipient's
confirmation, send again while the notice still holds the address, record why notifying is
impossible or disproportionate. Where staff must pass a notice on by other means (no channel, or
no more automatic attempts), the address it keeps is shown (a view of personal data: in the
audit trail).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import HiddenField
from wtforms.validators import Length, Optional

from app.clock import now, today
from app.core.permissions import Permission
from app.db import get_session
from app.mail import outbox
from app.models import RecipientNotice, StaffUser
from app.services import audit, notices, retention
from app.services.errors import RuleError
from app.services.fulfilment import erasure
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.cases import FORMS
from app.staff.notices import NoticesPanel, notices_panel_of
from app.staff.register import TRIGGER_LABELS

PAGE_SIZE = 50

HELD_LABELS: dict[str, LazyString] = {
    retention.RESTRICTED: _l("Held: the processing is restricted (Art. 18)"),
    retention.OPEN_CASE: _l("Held: the address has an open case"),
    retention.ACTIVE_CONSENT: _l("Held: a consent is in force"),
    retention.NO_CONTRACT_END: _l(
        "Held: no contract end on record (the customer has no assignment)"
    ),
}

ITEM_LABELS: dict[str, LazyString] = {
    retention.LEAD_CONTACT: _l("The whole lead record"),
    retention.CUSTOMER: _l("The whole contact record"),
    retention.COMMUNICATION: _l("A communication"),
    retention.MEETINGS: _l("A meeting"),
    retention.CONSENTS: _l("A withdrawn consent"),
    retention.TECHNICAL: _l("A technical record"),
    retention.ACCOUNTING: _l("An accounting record"),
}
"""What one listed item of a category is."""


class EraseForm(FlaskForm):
    """The confirmation: the batch's fingerprint as shown, so a changed batch is refused."""

    fingerprint = HiddenField(validators=[Optional(), Length(max=64)])


def _category_or_404(category: str) -> Any:
    if category not in retention.CATEGORIES:
        abort(404)
    found = retention.rule(get_session(), category)
    if found is None:
        abort(404)
    return found


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def _to_pass_on(panel: NoticesPanel) -> list[RecipientNotice]:
    """Undecided notices staff must pass on by other means, with the address they still keep."""
    return [
        r.notice
        for r in panel.rows
        if r.undecided and r.notice.address and (r.stopped or r.notice.method.value == "none")
    ]


def render_overview(failed: tuple[str, FlaskForm] | None = None) -> str:
    db = get_session()
    me = current_staff()
    day = today()
    statuses = retention.overview(db, day)
    panel = notices_panel_of(notices.undecided_without_case(db), me)
    to_pass_on = _to_pass_on(panel)
    if to_pass_on:
        audit.record(
            db, action="retention.notices_view", now=now(), staff=me,
            data={"notices": [n.id for n in to_pass_on]},
        )  # fmt: skip
        db.commit()
    return render_template(
        "staff/retention.html",
        statuses=statuses,
        TRIGGER_LABELS=TRIGGER_LABELS,
        notices_panel=panel,
        to_pass_on=to_pass_on,
        today=day,
        failed=failed[0] if failed else None,
        failed_form=failed[1] if failed else None,
    )


@bp.get("/retention")
@require(Permission.APPROVE)
def retention_overview() -> Any:
    return render_overview()


NoticeAct = Callable[[Any, RecipientNotice, Any, StaffUser, datetime], str]


def _notice_act(name: str, perform: NoticeAct) -> BaseResponse | tuple[str, int]:
    """An action on a notice without a case, with the case page's form: as ``cases.act``."""
    form = FORMS[name](prefix=name)
    if not form.validate_on_submit():
        return render_overview(failed=(name, form)), 400
    db = get_session()
    moment = now()
    try:
        notice = notices.notice_without_case(db, form.notice_id)
        message = perform(db, notice, form, current_staff(), moment)
    except RuleError as error:
        outbox.rollback(db)
        flash(error.message, "error")
    else:
        outbox.commit(db, moment)
        flash(message, "success")
    return redirect(url_for("staff.retention_overview", _anchor="notices-heading"), code=303)


@bp.post("/retention/notices/confirm")
@require(Permission.APPROVE)
def retention_notice_confirm() -> BaseResponse | tuple[str, int]:
    def perform(db: Any, notice: RecipientNotice, form: Any, me: StaffUser, at: datetime) -> str:
        notices.record_confirmation(
            db, notice, confirmed_on=form.confirmed_on.data, how=form.how.data, by=me, now=at
        )
        return _("The confirmation of %(recipient)s is recorded.", recipient=notice.recipient.name)

    return _notice_act("notice_confirm", perform)


@bp.post("/retention/notices/resend")
@require(Permission.APPROVE)
def retention_notice_resend() -> BaseResponse | tuple[str, int]:
    def perform(db: Any, notice: RecipientNotice, form: Any, me: StaffUser, at: datetime) -> str:
        notices.send_again(db, notice, by=me, now=at)
        return _(
            "The notice to %(recipient)s is queued and is sent within a minute or two.",
            recipient=notice.recipient.name,
        )

    return _notice_act("notice_resend", perform)


@bp.post("/retention/notices/not-notified")
@require(Permission.APPROVE)
def retention_notice_not_notified() -> BaseResponse | tuple[str, int]:
    def perform(db: Any, notice: RecipientNotice, form: Any, me: StaffUser, at: datetime) -> str:
        notices.record_not_notified(db, notice, reason=form.reason.data, by=me, now=at)
        return _(
            "It is recorded why %(recipient)s is not notified.", recipient=notice.recipient.name
        )

    return _notice_act("notice_not_notified", perform)


@bp.get("/retention/<category>")
@require(Permission.APPROVE)
def retention_category(category: str) -> Any:
    rule = _category_or_404(category)
    db = get_session()
    day = today()
    items = retention.due_items(db, category, day)
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(_page_number(), pages)
    shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    due = sum(1 for i in items if i.is_due)
    audit.record(
        db, action="retention.view", now=now(), staff=current_staff(),
        data={"category": category, "page": page, "items": len(shown)},
    )  # fmt: skip
    db.commit()
    return render_template(
        "staff/retention_category.html",
        category=category,
        rule=rule,
        items=shown,
        due=due,
        held=len(items) - due,
        page=page,
        pages=pages,
        HELD_LABELS=HELD_LABELS,
        ITEM_LABELS=ITEM_LABELS,
        TRIGGER_LABELS=TRIGGER_LABELS,
    )


@bp.route("/retention/<category>/erase", methods=["GET", "POST"])
@require(Permission.APPROVE)
def retention_erase(category: str) -> Any:
    rule = _category_or_404(category)
    db = get_session()
    if request.method == "POST":
        return _erase(category)
    batch = retention.plan_batch(db, category, today())
    form = EraseForm(fingerprint=batch.fingerprint)
    return render_template(
        "staff/retention_erase.html",
        category=category,
        rule=rule,
        batch=batch,
        form=form,
        CATEGORY_LABELS=erasure.CATEGORY_LABELS,
        GROUND_LABELS=erasure.GROUND_LABELS,
        ITEM_LABELS=ITEM_LABELS,
    )


def _erase(category: str) -> BaseResponse:
    db = get_session()
    form = EraseForm()
    back = url_for("staff.retention_erase", category=category)
    if not form.validate():
        flash(_("The confirmation was not valid. Check the counts and confirm again."), "error")
        return redirect(back, code=303)
    moment = now()
    try:
        batch = retention.erase_batch(
            db, category, form.fingerprint.data or "", by=current_staff(), now=moment
        )
    except RuleError as error:
        outbox.rollback(db)
        flash(error.message, "error")
        return redirect(back, code=303)
    outbox.commit(db, moment)
    done = ngettext(
        "%(num)d item past its retention period was erased.",
        "%(num)d items past their retention period were erased.",
        len(batch.items),
    )
    if batch.remaining:
        done += " " + ngettext(
            "%(num)d more is due: confirm the next batch.",
            "%(num)d more are due: confirm the next batch.",
            batch.remaining,
        )
        flash(done, "success")
        return redirect(back, code=303)
    flash(done, "success")
    return redirect(url_for("staff.retention_category", category=category), code=303)
