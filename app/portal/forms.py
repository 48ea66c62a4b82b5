"""Forms of the subject's journey. Each request form knows how to state its ``details``.

Every field has a length limit and an allow-list where it is a choice (security.md F5); what the
person writes in their own words is kept unchanged as the case's original wording.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.workflow import RequestType

MESSAGE_MAX = 4000


def normalise_email(value: str) -> str:
    """Validate an address and return the form used as the identifier (lower case, IDNA).

    :raises ValueError: with a message fit for the person when the address is not valid.
    """
    value = (value or "").strip()
    if len(value) > 254 or any(ch in value for ch in "\r\n"):
        raise ValueError(_l("Enter a valid e-mail address, for example namn@foretag.se."))
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(_l("Enter a valid e-mail address, for example namn@foretag.se.")) from exc
    return result.normalized.lower()


class EmailAddress:
    """WTForms validator that also replaces the data with the normalised address."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        try:
            field.data = normalise_email(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc.args[0])) from exc


def _options(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """Choices as WTForms 3.3 wants them (tuples are deprecated and warn on every form)."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StartForm(FlaskForm):
    email = EmailField(
        _l("Your e-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), EmailAddress()],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from the e-mail"),
        validators=[DataRequired(_l("Enter the code from the e-mail.")), Length(max=20)],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token, no fields."""


# --- the seven requests -----------------------------------------------------------------------

DATA_PARTS = [
    ("contact", _l("Contact details and role")),
    ("communication", _l("Communication history (e-mails, calls, messages)")),
    ("meetings", _l("Booked meetings")),
    ("consents", _l("Consents")),
    ("technical", _l("Technical data (IP address, browser)")),
    ("customer", _l("Customer and invoice data")),
]


def _new_key() -> str:
    return secrets.token_urlsafe(16)


class RequestForm(FlaskForm):
    """Common to every request: a one-time submission key and the person's own words."""

    type: RequestType
    submission_key = HiddenField(default=_new_key, validators=[Length(max=64)])
    message = TextAreaField(
        _l("Anything you want to add (optional)"),
        validators=[
            Optional(),
            Length(max=MESSAGE_MAX, message=_l("At most %(max)d characters.", max=MESSAGE_MAX)),
        ],
    )

    def details(self) -> dict[str, Any]:
        return {}


def _at_least_one(message: Any) -> Any:
    def check(form: FlaskForm, field: Field) -> None:
        if not field.data:
            raise ValidationError(str(message))

    return check


class AccessForm(RequestForm):
    type = RequestType.ACCESS
    scope = RadioField(
        _l("What do you want a copy of?"),
        choices=_options(
            [("all", _l("Everything you hold about me")), ("parts", _l("Only some parts"))]
        ),
        default="all",
        validators=[InputRequired(_l("Choose what you want a copy of."))],
    )
    parts = MultiCheckboxField(
        _l("Which parts"), choices=_options(DATA_PARTS), validate_choice=True
    )
    formats = MultiCheckboxField(
        _l("Format"),
        choices=_options(
            [
                ("pdf", _l("PDF document (easy to read)")),
                ("json", _l("JSON and CSV files (machine-readable)")),
            ]
        ),
        default=["pdf"],
        validators=[_at_least_one(_l("Choose at least one format."))],
    )

    def validate_parts(self, field: Field) -> None:
        if self.scope.data == "parts" and not field.data:
            raise ValidationError(_l("Choose at least one part, or choose everything."))

    def details(self) -> dict[str, Any]:
        parts = self.parts.data if self.scope.data == "parts" else []
        return {"scope": self.scope.data, "parts": parts, "formats": self.formats.data}


_PHONE = re.compile(r"^[+0-9 ()-]{5,30}$")


class RectificationForm(RequestForm):
    type = RequestType.RECTIFICATION
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=30)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    company = StringField(_l("Company"), validators=[Optional(), Length(max=200)])
    # No Optional() here: it would stop the chain before validate_other, which checks all fields.
    other = TextAreaField(
        _l("Something else that is wrong or incomplete"),
        validators=[Length(max=2000)],
    )

    FIELDS = ("name", "phone", "job_title", "company", "other")

    def validate_phone(self, field: Field) -> None:
        if field.data and not _PHONE.match(field.data.strip()):
            raise ValidationError(
                _l("Enter a phone number with digits, for example 070-123 45 67.")
            )

    def validate_other(self, field: Field) -> None:
        if not any((getattr(self, name).data or "").strip() for name in self.FIELDS):
            raise ValidationError(_l("Fill in at least one correction."))

    def details(self) -> dict[str, Any]:
        corrections = {
            name: getattr(self, name).data.strip()
            for name in self.FIELDS
            if (getattr(self, name).data or "").strip()
        }
        return {"corrections": corrections}


ERASURE_GROUNDS = [
    ("not_needed", _l("The data are no longer needed for the purpose (Art. 17.1 a)")),
    ("consent_withdrawn", _l("I withdraw my consent (Art. 17.1 b)")),
    ("objection", _l("I object to the processing (Art. 17.1 c)")),
    ("unlawful", _l("The data are processed unlawfully (Art. 17.1 d)")),
    ("legal_obligation", _l("The law requires erasure (Art. 17.1 e)")),
    ("unsure", _l("I am not sure: please assess it for me")),
]


class ErasureForm(RequestForm):
    type = RequestType.ERASURE
    scope = RadioField(
        _l("What should be erased?"),
        choices=_options([("all", _l("Everything about me")), ("parts", _l("Only some parts"))]),
        default="all",
        validators=[InputRequired(_l("Choose what should be erased."))],
    )
    parts = MultiCheckboxField(
        _l("Which parts"), choices=_options(DATA_PARTS), validate_choice=True
    )
    ground = RadioField(
        _l("Why (you may leave the assessment to us)"),
        choices=_options(ERASURE_GROUNDS),
        default="unsure",
        validators=[InputRequired(_l("Choose a reason, or let us assess it."))],
    )

    def validate_parts(self, field: Field) -> None:
        if self.scope.data == "parts" and not field.data:
            raise ValidationError(_l("Choose at least one part, or choose everything."))

    def details(self) -> dict[str, Any]:
        parts = self.parts.data if self.scope.data == "parts" else []
        return {"scope": self.scope.data, "parts": parts, "ground": self.ground.data}


RESTRICTION_GROUNDS = [
    ("accuracy", _l("I contest that the data are correct (Art. 18.1 a)")),
    ("unlawful", _l("The processing is unlawful but I do not want erasure (Art. 18.1 b)")),
    ("legal_claims", _l("I need the data for a legal claim (Art. 18.1 c)")),
    ("objection", _l("I have objected and you are checking your grounds (Art. 18.1 d)")),
]


class RestrictionForm(RequestForm):
    type = RequestType.RESTRICTION
    ground = RadioField(
        _l("Ground for restriction"),
        choices=_options(RESTRICTION_GROUNDS),
        validators=[InputRequired(_l("Choose the ground for restriction."))],
    )

    def details(self) -> dict[str, Any]:
        return {"ground": self.ground.data}


OBJECTION_KINDS = [
    ("direct_marketing", _l("Direct marketing and sales outreach to me (Art. 21.2)")),
    (
        "legitimate_interest",
        _l("Processing based on legitimate interest, such as lead follow-up (Art. 21.1)"),
    ),
]


class ObjectionForm(RequestForm):
    type = RequestType.OBJECTION
    kind = RadioField(
        _l("What do you object to?"),
        choices=_options(OBJECTION_KINDS),
        validators=[InputRequired(_l("Choose what you object to."))],
    )
    # No Optional() here: it would stop the chain before validate_grounds when grounds is empty.
    grounds = TextAreaField(
        _l("Your reasons, relating to your particular situation"),
        validators=[Length(max=MESSAGE_MAX)],
    )

    def validate_grounds(self, field: Field) -> None:
        if self.kind.data == "legitimate_interest" and not (field.data or "").strip():
            raise ValidationError(
                _l("Describe your reasons: an objection under Art. 21.1 rests on your situation.")
            )

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"kind": self.kind.data}
        if self.kind.data == "legitimate_interest":
            details["grounds"] = (self.grounds.data or "").strip()
        return details


class ConsentWithdrawalForm(RequestForm):
    type = RequestType.CONSENT_WITHDRAWAL
    consents = MultiCheckboxField(
        _l("Consents to withdraw"),
        coerce=int,
        validators=[_at_least_one(_l("Choose at least one consent to withdraw."))],
    )

    def details(self) -> dict[str, Any]:
        return {"consent_ids": list(self.consents.data)}


class PortabilityForm(RequestForm):
    type = RequestType.PORTABILITY
    formats = MultiCheckboxField(
        _l("Format"),
        choices=_options([("json", "JSON"), ("csv", "CSV")]),
        default=["json"],
        validators=[_at_least_one(_l("Choose at least one format."))],
    )
    transmit_to = StringField(
        _l("Send it directly to another company instead (optional: name and e-mail)"),
        validators=[Optional(), Length(max=300)],
    )

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"formats": self.formats.data}
        if (self.transmit_to.data or "").strip():
            details["transmit_to"] = self.transmit_to.data.strip()
        return details


REQUEST_FORMS: dict[RequestType, type[RequestForm]] = {
    form.type: form
    for form in (
        AccessForm,
        RectificationForm,
        ErasureForm,
        RestrictionForm,
        ObjectionForm,
        ConsentWithdrawalForm,
        PortabilityForm,
    )
}
