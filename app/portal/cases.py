"""The person's cases: receipt (page and PDF), the status list, a case's page with its timeline
and the messages both ways (notices of extension and refusal among them), replies, withdrawal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.clock import now, today
from app.core.workflow import InvalidTransitionError
from app.db import get_session
from app.exports.receipt_pdf import render_receipt_pdf
from app.mail import outbox
from app.models import SubjectRequest
from app.portal import bp
from app.portal.context import controller
from app.portal.forms import MESSAGE_MAX, ActionForm
from app.portal.identity import current_email, subject_required
from app.services import casework, processing
from app.services.receipts import receipt_for


class ReplyForm(FlaskForm):
    """The person's message on their case; staff read it on the case page."""

    body = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(_l("Write your message.")),
            Length(max=MESSAGE_MAX, message=_l("At most %(max)d characters.", max=MESSAGE_MAX)),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def own_case(reference: str) -> SubjectRequest:
    """The case if it belongs to the verified address; 404 otherwise, so nothing is revealed."""
    case = get_session().scalar(
        select(SubjectRequest).where(
            SubjectRequest.reference == reference, SubjectRequest.email == current_email()
        )
    )
    if case is None:
        abort(404)
    return case


@bp.get("/cases")
@subject_required
def cases() -> str:
    rows = get_session().scalars(
        select(SubjectRequest)
        .where(SubjectRequest.email == current_email())
        .order_by(SubjectRequest.received_at.desc(), SubjectRequest.id.desc())
    )
    return render_template("portal/cases.html", cases=list(rows), today=today())


# What fulfilment adds to the person's case page (downloads, recipients told): name -> function
# of (session, case) returning what ``panels.<name>`` shows, or None when it does not apply.
Panel = Callable[[Session, SubjectRequest], Any]
PANELS: dict[str, Panel] = {}


def panel(name: str) -> Callable[[Panel], Panel]:
    def register(function: Panel) -> Panel:
        PANELS[name] = function
        return function

    return register


def _case_page(item: SubjectRequest, reply: ReplyForm | None = None) -> str:
    events = [e for e in item.events if e.visible_to_subject]
    db = get_session()
    return render_template(
        "portal/case.html",
        case=item,
        events=events,
        messages=list(item.messages),  # every message both ways, notices included; never notes
        form=ActionForm(formdata=None),
        reply=reply or ReplyForm(formdata=None),
        today=today(),
        panels={name: function(db, item) for name, function in PANELS.items()},
    )


@bp.get("/cases/<reference>")
@subject_required
def case(reference: str) -> str:
    return _case_page(own_case(reference))


@bp.post("/cases/<reference>/messages")
@subject_required
def reply(reference: str) -> tuple[str, int] | BaseResponse:
    item = own_case(reference)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _case_page(item, form), 400
    db = get_session()
    moment = now()
    try:
        casework.reply_from_subject(db, item, form.body.data, now=moment)
    except casework.CaseClosedError:
        outbox.rollback(db)
        flash(_("This case is closed, so messages can no longer be sent on it."), "error")
    else:
        outbox.commit(db, moment)
        flash(_("Your message is sent. We will answer here on this page."), "success")
    return redirect(url_for("portal.case", reference=item.reference), code=303)


@bp.get("/cases/<reference>/receipt")
@subject_required
def receipt(reference: str) -> str:
    item = own_case(reference)
    return render_template("portal/receipt.html", case=item, today=today())


@bp.get("/cases/<reference>/receipt.pdf")
@subject_required
def receipt_pdf(reference: str) -> Response:
    item = own_case(reference)
    info = controller()
    if info is None:
        abort(503)
    # The case's language, like its e-mails: the receipt is the same document whoever reads it.
    pdf = render_receipt_pdf(receipt_for(item, info, language=item.language))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="kvitto-{item.reference}.pdf"'
    return response


@bp.post("/cases/<reference>/withdraw")
@subject_required
def withdraw(reference: str) -> BaseResponse:
    item = own_case(reference)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    moment = now()
    try:
        processing.withdraw(db, item, now=moment)
    except InvalidTransitionError:
        flash(_("This case is already closed and cannot be withdrawn."), "error")
    else:
        outbox.commit(db, moment)
        flash(_("Your request %(reference)s is withdrawn.", reference=item.reference), "success")
    return redirect(url_for("portal.case", reference=item.reference), code=303)
