"""Choosing and filing a request once the mailbox is verified."""

from __future__ import annotations

from datetime import datetime

from flask import abort, redirect, render_template, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app.clock import now
from app.core.workflow import RequestType
from app.db import get_session
from app.i18n import current_language
from app.mail import outbox
from app.models import SubjectRequest
from app.portal import bp
from app.portal.forms import REQUEST_FORMS, ConsentWithdrawalForm, RequestForm
from app.portal.identity import subject_required, verified_email
from app.services import intake, subjects


@bp.get("/overview")
@subject_required
def overview() -> str:
    email = verified_email()
    return render_template(
        "portal/overview.html",
        holdings=subjects.holdings(get_session(), email),
        request_types=list(RequestType),
    )


def _request_type(slug: str) -> RequestType:
    try:
        return RequestType(slug.replace("-", "_"))
    except ValueError:
        abort(404)


def _build_form(request_type: RequestType, email: str) -> RequestForm:
    form = REQUEST_FORMS[request_type]()
    if isinstance(form, ConsentWithdrawalForm):
        form.consents.choices = [(c.id, c) for c in subjects.active_consents(get_session(), email)]
    return form


@bp.route("/requests/new/<slug>", methods=["GET", "POST"])
@subject_required
def new_request(slug: str) -> str | tuple[str, int] | BaseResponse:
    request_type = _request_type(slug)
    email = verified_email()
    form = _build_form(request_type, email)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("portal/new_request.html", form=form, type=request_type), status
    db = get_session()
    moment = now()
    key = form.submission_key.data or None
    try:
        case = _file(db, form, request_type, email, moment, key)
    except IntegrityError:
        # The same form sent twice at the same instant: the other submission filed it.
        outbox.rollback(db)
        case = intake.find_submission(db, key) if key else None
        if case is None:
            raise
    return redirect(url_for("portal.receipt", reference=case.reference), code=303)


def _file(
    db: Session,
    form: RequestForm,
    request_type: RequestType,
    email: str,
    moment: datetime,
    key: str | None,
) -> SubjectRequest:
    case = intake.file_request(
        db,
        email=email,
        type=request_type,
        details=form.details(),
        original_text=(form.message.data or "").strip() or None,
        language=current_language(),
        now=moment,
        verified_at=moment,
        submission_key=key,
    )
    outbox.commit(db, moment)
    return case
