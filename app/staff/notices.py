"""The case page's Art. 19 panel: each notice to a recipient, and what staff do with it.

A handler records a confirmation that came another way (an e-mail reply, a phone call) and can
have a notice sent again now; only the privacy officer records that notifying a recipient is
impossible or involves disproportionate effort (the one exception Art. 19 allows). Each action
is one POST naming its notice in a hidden field; the notice must belong to the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from app.core.permissions import Permission
from app.models import (
    NoticeAction,
    NoticeMethod,
    NoticeStatus,
    RecipientNotice,
    StaffUser,
    SubjectRequest,
)
from app.services import notices
from app.staff import bp
from app.staff.access import require
from app.staff.cases import FORMS, act, panel
from app.staff.forms import TEXT_MAX

ACTION_LABELS: dict[NoticeAction, LazyString] = {
    NoticeAction.RECTIFICATION: _l("Rectification"),
    NoticeAction.ERASURE: _l("Erasure"),
    NoticeAction.RESTRICTION: _l("Restriction"),
    NoticeAction.RESTRICTION_LIFTED: _l("Restriction lifted"),
}
METHOD_LABELS: dict[NoticeMethod, LazyString] = {
    NoticeMethod.WEBHOOK: _l("Webhook"),
    NoticeMethod.EMAIL: _l("E-mail"),
    NoticeMethod.NONE: _l("No channel on record"),
}
STATUS_LABELS: dict[NoticeStatus, LazyString] = {
    NoticeStatus.PENDING: _l("Waiting to be sent"),
    NoticeStatus.SENT: _l("Sent, not confirmed"),
    NoticeStatus.CONFIRMED: _l("Confirmed"),
    NoticeStatus.NOT_NOTIFIED: _l("Not notified (reason recorded)"),
}


# --- forms ------------------------------------------------------------------------------------


class NoticeForm(FlaskForm):
    """An action on one notice of the case, named in a hidden field."""

    notice = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page draws one form per notice: each field's id ends in the notice's id, so the
        # error summary of a form sent back links to the right field.
        if self.notice.data and str(self.notice.data).isdigit():
            for field in self:
                if field.type not in ("HiddenField", "CSRFTokenField"):
                    field.id = f"{field.id}-{self.notice.data}"

    @property
    def notice_id(self) -> int:
        return int(self.notice.data)


class NoticeResendForm(NoticeForm):
    pass


class NoticeConfirmForm(NoticeForm):
    confirmed_on = DateField(
        _l("Date of the confirmation"),
        validators=[InputRequired(_l("Give the date of the confirmation, as YYYY-MM-DD."))],
    )
    how = StringField(
        _l("How the recipient confirmed"),
        validators=[
            DataRequired(_l("Say how the recipient confirmed, for example “e-mail reply”.")),
            Length(max=500, message=_l("At most %(max)d characters.", max=500)),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class NoticeNotNotifiedForm(NoticeForm):
    reason = TextAreaField(
        _l("Why notifying is impossible or disproportionate"),
        validators=[
            DataRequired(_l("Give the reason: it is kept as proof and shown to the person.")),
            Length(max=TEXT_MAX, message=_l("At most %(max)d characters.", max=TEXT_MAX)),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


FORMS["notice_resend"] = NoticeResendForm
FORMS["notice_confirm"] = NoticeConfirmForm
FORMS["notice_not_notified"] = NoticeNotNotifiedForm


# --- the panel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    notice: RecipientNotice
    recipient: str
    action: LazyString
    method: LazyString
    status: LazyString
    undecided: bool
    stopped: bool  # no more automatic attempts: staff decide


@dataclass(frozen=True)
class NoticesPanel:
    rows: list[NoticeRow]
    undecided: int
    can_decide: bool  # the privacy officer may record "not notified"
    max_attempts: int


def notices_panel_of(found: list[RecipientNotice], me: StaffUser) -> NoticesPanel:
    """The rows and counts the notices' table and actions show (also on the retention page)."""
    rows = [
        NoticeRow(
            notice=n,
            recipient=n.recipient.name,
            action=ACTION_LABELS[n.action],
            method=METHOD_LABELS[n.method],
            status=STATUS_LABELS[n.status],
            undecided=not n.status.is_decided,
            stopped=n.status is NoticeStatus.PENDING and n.next_attempt_at is None,
        )
        for n in found
    ]
    return NoticesPanel(
        rows=rows,
        undecided=sum(1 for r in rows if r.undecided),
        can_decide=me.can(Permission.APPROVE),
        max_attempts=int(current_app.config["NOTICE_MAX_ATTEMPTS"]),
    )


@panel("notices")
def notices_panel(db: Session, case: SubjectRequest, me: StaffUser, day: date) -> Any:
    found = notices.notices_of(db, case)
    if not found:
        return None
    return notices_panel_of(found, me)


# --- actions ----------------------------------------------------------------------------------


@bp.post("/cases/<reference>/notices/resend")
@require(Permission.WORK_CASES)
def case_notice_resend(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        notice = notices.notice_of_case(db, item, form.notice_id)
        notices.send_again(db, notice, by=me, now=at)
        return _(
            "The notice to %(recipient)s is queued and is sent within a minute or two.",
            recipient=notice.recipient.name,
        )

    return act(reference, "notice_resend", perform)


@bp.post("/cases/<reference>/notices/confirm")
@require(Permission.WORK_CASES)
def case_notice_confirm(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        notice = notices.notice_of_case(db, item, form.notice_id)
        notices.record_confirmation(
            db, notice, confirmed_on=form.confirmed_on.data, how=form.how.data, by=me, now=at
        )
        return _("The confirmation of %(recipient)s is recorded.", recipient=notice.recipient.name)

    return act(reference, "notice_confirm", perform)


@bp.post("/cases/<reference>/notices/not-notified")
@require(Permission.APPROVE)
def case_notice_not_notified(reference: str) -> BaseResponse | tuple[str, int]:
    def perform(db: Session, item: SubjectRequest, form: Any, me: StaffUser, at: datetime) -> str:
        notice = notices.notice_of_case(db, item, form.notice_id)
        notices.record_not_notified(db, notice, reason=form.reason.data, by=me, now=at)
        return _(
            "It is recorded why %(recipient)s is not notified. The person sees the reason.",
            recipient=notice.recipient.name,
        )

    return act(reference, "notice_not_notified", perform)
