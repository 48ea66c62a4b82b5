"""Retention for the privacy officer: the controller's records past their rule, per category of
the register, and their erasure in bulk (``app.services.retention``).

The overview counts what is due and what is held back; a category's page lists the items, paged,
each with the day its period started, its last day and why it is held, if it is (a view of
personal data: in the audit trail). Erasing goes through a confirmation that shows the next
batch's counts row by row; the POST erases exactly that batch, or nothing if the data changed
since.
"""

from __future__ import annotations

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
from app.services import audit, retention
from app.services.errors import RuleError
from app.services.fulfilment import erasure
from app.staff import bp
from app.staff.access import current_staff, require
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


@bp.get("/retention")
@require(Permission.APPROVE)
def retention_overview() -> Any:
    db = get_session()
    statuses = retention.overview(db, today())
    return render_template("staff/retention.html", statuses=statuses, TRIGGER_LABELS=TRIGGER_LABELS)


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
