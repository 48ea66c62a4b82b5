"""Forms of manual intake and of the audit trail's filters.

Manual intake registers a request that came by letter, phone, e-mail or in person, dated when it
arrived (legal.md §2.1): the deadline counts from that date, not from when staff typed it in.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.clock import STOCKHOLM, stockholm_date
from app.core.deadlines import add_months
from app.core.workflow import Channel, RequestType
from app.labels import STAFF_TYPE_LABELS
from app.portal.forms import EmailAddress, MultiCheckboxField

ORIGINAL_TEXT_MAX = 20_000  # a long letter fits; the form as a whole stays under 256 KB
IDENTITY_NOTE_MAX = 500
OLDEST_MONTHS = 12  # a receipt date further back is almost certainly a typing error
DEFAULT_TIME = time(12, 0)

CHANNEL_LABELS: dict[Channel, Any] = {
    Channel.LETTER: _l("Letter"),
    Channel.EMAIL: _l("E-mail"),
    Channel.PHONE: _l("Phone call"),
    Channel.IN_PERSON: _l("In person"),
}
"""Every channel except the portal, whose requests file themselves."""

OBJECTION_KINDS = [
    SelectChoice(
        "direct_marketing",
        _l("Direct marketing and sales outreach (Art. 21.2): takes effect at once"),
    ),
    SelectChoice(
        "legitimate_interest",
        _l("Processing based on legitimate interest (Art. 21.1): to be assessed"),
    ),
]


def _new_key() -> str:
    return secrets.token_urlsafe(16)


class DateInputField(DateField):
    """A date input whose empty value is simply missing (the required check says so once)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not "".join(str(v) for v in valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class TimeInputField(TimeField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not "".join(str(v) for v in valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class IntakeForm(FlaskForm):
    """A request received outside the portal. ``now`` must be set before validating."""

    submission_key = HiddenField(default=_new_key, validators=[Length(max=64)])
    email = EmailField(
        _l("The person's e-mail address"),
        validators=[DataRequired(_l("Enter the person's e-mail address.")), EmailAddress()],
    )
    type = RadioField(
        _l("Type of request"),
        choices=[SelectChoice(t.value, STAFF_TYPE_LABELS[t]) for t in RequestType],
        invalid_choice_message=_l("Choose the type of request."),
    )
    objection_kind = RadioField(
        _l("What does the person object to?"),
        choices=OBJECTION_KINDS,
        validate_choice=False,  # checked in validate_objection_kind: only objections need it
    )
    consent_purposes = MultiCheckboxField(_l("Consents withdrawn"), validate_choice=True)
    channel = RadioField(
        _l("How the request arrived"),
        choices=[SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items()],
        invalid_choice_message=_l("Choose how the request arrived."),
    )
    received_on = DateInputField(
        _l("Date of receipt"),
        # Not DataRequired: it would hide the message about a malformed date behind this one.
        validators=[InputRequired(_l("Enter the date the request arrived."))],
        invalid_value_message=_l("Enter the date as YYYY-MM-DD, for example 2026-11-03."),
    )
    received_time = TimeInputField(
        _l("Time of receipt (optional)"),
        validators=[Optional()],
        invalid_value_message=_l("Enter the time as HH:MM, for example 09:30."),
    )
    language = RadioField(
        _l("The person's language"),
        choices=[SelectChoice("sv", _l("Swedish")), SelectChoice("en", _l("English"))],
        default="sv",
        invalid_choice_message=_l("Choose Swedish or English."),
    )
    original_text = TextAreaField(
        _l("The request in the person's own words"),
        validators=[
            DataRequired(_l("Enter the request as the person worded it.")),
            Length(
                max=ORIGINAL_TEXT_MAX,
                message=_l("At most %(max)d characters.", max=ORIGINAL_TEXT_MAX),
            ),
        ],
    )
    identity_check = TextAreaField(
        _l("How the identity was checked (optional)"),
        validators=[
            Optional(),
            Length(
                max=IDENTITY_NOTE_MAX,
                message=_l("At most %(max)d characters.", max=IDENTITY_NOTE_MAX),
            ),
        ],
    )

    now: datetime

    # --- the receipt date -----------------------------------------------------------------------

    @property
    def today(self) -> date:
        return stockholm_date(self.now)

    @property
    def oldest(self) -> date:
        return add_months(self.today, -OLDEST_MONTHS)

    def validate_received_on(self, field: Field) -> None:
        if field.data is None:  # malformed: already said
            return
        if field.data > self.today:
            raise ValidationError(_l("The date of receipt cannot be in the future."))
        if field.data < self.oldest:
            raise ValidationError(
                _l(
                    "The date of receipt cannot be more than %(months)d months ago. "
                    "Check the year.",
                    months=OLDEST_MONTHS,
                )
            )

    def validate_received_time(self, field: Field) -> None:
        if field.data is not None and self.received_on.data == self.today:
            moment = datetime.combine(self.today, field.data, tzinfo=STOCKHOLM)
            if moment > self.now:
                raise ValidationError(_l("The time of receipt cannot be later than now."))

    def received_at(self) -> datetime:
        """The moment of receipt in UTC: the date (and time, else noon) in Stockholm.

        A request dated today without a time is taken as received now, never in the future.
        """
        moment = datetime.combine(
            self.received_on.data, self.received_time.data or DEFAULT_TIME, tzinfo=STOCKHOLM
        ).astimezone(UTC)
        if self.received_time.data is None and moment > self.now:
            moment = self.now.replace(second=0, microsecond=0)
        return moment

    # --- what the type needs --------------------------------------------------------------------

    @property
    def request_type(self) -> RequestType:
        return RequestType(self.type.data)

    def validate_objection_kind(self, field: Field) -> None:
        if self.type.data != RequestType.OBJECTION.value:
            return
        if field.data not in {choice.value for choice in OBJECTION_KINDS}:
            raise ValidationError(_l("Choose what the person objects to."))

    def validate_consent_purposes(self, field: Field) -> None:
        if self.type.data == RequestType.CONSENT_WITHDRAWAL.value and not field.data:
            raise ValidationError(_l("Choose at least one consent the person withdraws."))

    def details(self, consent_ids: list[int]) -> dict[str, Any]:
        """What the case records beyond the person's words (never an ID document)."""
        details: dict[str, Any] = {}
        if self.request_type is RequestType.OBJECTION:
            details["kind"] = self.objection_kind.data
        elif self.request_type is RequestType.CONSENT_WITHDRAWAL:
            details["purposes"] = list(self.consent_purposes.data)
            details["consent_ids"] = consent_ids
        note = (self.identity_check.data or "").strip()
        if note:
            details["identity_check"] = note
        return details


# --- the audit trail ----------------------------------------------------------------------------


class AuditFilterForm(FlaskForm):
    """Filters of the audit trail: a GET form, so without CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    actor = SelectField(_l("Who"), choices=[], default="", validate_choice=True)
    action = SelectField(_l("Action"), choices=[], default="", validate_choice=True)
    reference = StringField(
        _l("Case reference"),
        validators=[Optional(), Length(max=20, message=_l("At most %(max)d characters.", max=20))],
        filters=[lambda value: value.strip().upper() if isinstance(value, str) else value],
    )
    date_from = DateInputField(
        _l("From date"),
        validators=[Optional()],
        invalid_value_message=_l("Enter the date as YYYY-MM-DD, for example 2026-11-03."),
    )
    date_to = DateInputField(
        _l("To date"),
        validators=[Optional()],
        invalid_value_message=_l("Enter the date as YYYY-MM-DD, for example 2026-11-03."),
    )

    def validate_date_to(self, field: Field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The to date cannot be before the from date."))

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The chosen days in Stockholm as a half-open UTC interval."""
        start = end = None
        if self.date_from.data:
            start = datetime.combine(self.date_from.data, time(0), tzinfo=STOCKHOLM)
        if self.date_to.data:
            end = datetime.combine(self.date_to.data + timedelta(days=1), time(0), tzinfo=STOCKHOLM)
        return (
            start.astimezone(UTC) if start else None,
            end.astimezone(UTC) if end else None,
        )
