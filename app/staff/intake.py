"""Manual intake: staff register a request that came by letter, phone, e-mail or in person.

The request is dated when it reached the controller, not when it was typed in, so the legal
deadline counts from the real receipt date (legal.md §2.1); a letter found late is overdue at once.
The person gets the receipt e-mail and follows the case in the portal after confirming the address.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from app.clock import now, stockholm_date
from app.core.deadlines import days_left
from app.core.permissions import Permission
from app.core.workflow import Channel
from app.db import get_session
from app.i18n import localized
from app.mail import outbox
from app.models import Purpose, StaffUser, SubjectRequest
from app.models.register import LegalBasis
from app.services import audit
from app.services import intake as intake_service
from app.services.subjects import active_consents
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.intake_forms import IntakeForm


def _consent_purposes(db: Session) -> list[Purpose]:
    """The purposes of the register that rest on consent: what a person can withdraw."""
    return list(
        db.scalars(
            select(Purpose)
            .where(Purpose.legal_basis == LegalBasis.CONSENT)
            .order_by(Purpose.position, Purpose.id)
        )
    )


def _build_form(db: Session, moment: datetime) -> IntakeForm:
    form = IntakeForm()
    form.now = moment
    purposes = _consent_purposes(db)
    form.consent_purposes.choices = [SelectChoice(p.code, localized(p, "name")) for p in purposes]
    # The browser's date picker offers only dates the form accepts; the server checks anyway.
    form.received_on.render_kw = {"min": form.oldest.isoformat(), "max": form.today.isoformat()}
    if not form.is_submitted():
        form.consent_purposes.data = [p.code for p in purposes]
    return form


@bp.route("/intake", methods=["GET", "POST"], endpoint="intake")
@require(Permission.WORK_CASES)
def intake_view() -> str | tuple[str, int] | BaseResponse:
    db = get_session()
    moment = now()
    form = _build_form(db, moment)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("staff/intake.html", form=form), status
    key = form.submission_key.data or None
    existing = intake_service.find_submission(db, key) if key else None
    if existing is None:
        try:
            existing = _file(db, form, current_staff(), moment, key)
        except IntegrityError:
            # The same form sent twice at the same instant: the other submission filed it.
            outbox.rollback(db)
            existing = intake_service.find_submission(db, key) if key else None
            if existing is None:
                raise
    return redirect(url_for("staff.case", reference=existing.reference), code=303)


def _file(
    db: Session, form: IntakeForm, staff: StaffUser, moment: datetime, key: str | None
) -> SubjectRequest:
    email = form.email.data
    consent_ids: list[int] = []
    if form.consent_purposes.data:
        chosen = set(form.consent_purposes.data)
        consent_ids = [c.id for c in active_consents(db, email) if c.purpose.code in chosen]
    case = intake_service.file_request(
        db,
        email=email,
        type=form.request_type,
        details=form.details(consent_ids),
        original_text=form.original_text.data,  # the person's words, unchanged
        language=form.language.data,
        now=moment,
        channel=Channel(form.channel.data),
        received_at=form.received_at(),
        submission_key=key,
        actor=staff.actor,
    )
    audit.record(
        db,
        action="case.intake",
        now=moment,
        staff=staff,
        request=case,
        data={
            "channel": case.channel.value,
            "type": case.type.value,
            "received_on": case.received_on.isoformat(),
        },
    )
    outbox.commit(db, moment)
    _tell_about_the_deadline(case, moment)
    return case


def _tell_about_the_deadline(case: SubjectRequest, moment: datetime) -> None:
    flash(
        _(
            "The request is registered as %(reference)s. The person has been sent a receipt.",
            reference=case.reference,
        ),
        "success",
    )
    if not case.is_open:
        return
    left = days_left(case.due_on, stockholm_date(moment))
    due = format_date(case.due_on, "long")
    if left < 0:
        flash(
            _(
                "The legal deadline, %(date)s, counted from the date of receipt, has already "
                "passed: the case is overdue. Answer the person without delay.",
                date=due,
            ),
            "error",
        )
    elif left <= 3:
        flash(
            _(
                "The legal deadline, counted from the date of receipt, is %(date)s: "
                "only a few days are left.",
                date=due,
            ),
            "error",
        )
