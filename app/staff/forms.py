"""Forms of the queue and the case page, and the staff-side names of statuses and events.

Every text field has a length limit and every choice an allow-list (security.md F5). The case
page shows several forms at once, so each has a prefix: field ids stay unique on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.core.grounds import REFUSAL_GROUNDS, REFUSAL_SCOPES
from app.core.workflow import Channel, RequestStatus, RequestType
from app.labels import REFUSAL_GROUND_LABELS, STAFF_STATUS_LABELS, STAFF_TYPE_LABELS, cite_article
from app.models import StaffUser
from app.services.queue import UNASSIGNED, DueWindow

TEXT_MAX = 4000
"""Longest message, note, reason or question staff can write (the person's limit too)."""

# --- staff-side names -------------------------------------------------------------------------

CHANNEL_LABELS: dict[Channel, LazyString] = {
    Channel.PORTAL: _l("The portal"),
    Channel.EMAIL: _l("E-mail"),
    Channel.LETTER: _l("Letter"),
    Channel.PHONE: _l("Phone"),
    Channel.IN_PERSON: _l("In person"),
}

REFUSAL_SCOPE_LABELS: dict[str, LazyString] = {
    "whole": _l("The whole request"),
    "partial": _l("Part of the request"),
}

STAFF_EVENT_LABELS: dict[str, LazyString] = {
    "restricted": _l("Restriction applied to the records"),
    "objection_restricted": _l("Records restricted at filing while the objection is decided"),
    "restriction_lift_announced": _l("The person was told the restriction will be lifted"),
    "restriction_lifted": _l("Restriction lifted"),
    "objection_proposed": _l("Decision on the objection proposed"),
    "objection_rejected": _l("Proposed objection decision rejected by the privacy officer"),
    "objection_upheld": _l("Objection upheld: processing stopped"),
    "objection_overridden": _l("Objection overridden on compelling legitimate grounds"),
    "filed": _l("Request registered"),
    "status_changed": _l("Status changed"),
    "withdrawn": _l("The person withdrew the request"),
    "consent_withdrawn": _l("Consent withdrawn at filing"),
    "marketing_stopped": _l("Direct marketing stopped at filing"),
    "message_to_subject": _l("Message sent to the person"),
    "message_from_subject": _l("The person sent a message"),
    "clarification_requested": _l("The person was asked for clarification"),
    "resumed": _l("Work resumed"),
    "completed": _l("Completed"),
    "extended": _l("Deadline extended"),
    "refused": _l("Request refused"),
    "partly_refused": _l("Request partly refused"),
    "assigned": _l("Assigned"),
    "extension_proposed": _l("Extension proposed"),
    "refusal_proposed": _l("Refusal proposed"),
    "extension_rejected": _l("Extension rejected by the privacy officer"),
    "refusal_rejected": _l("Refusal rejected by the privacy officer"),
    "rectified": _l("Records corrected"),
    "erasure_proposed": _l("Erasure plan proposed"),
    "erasure_rejected": _l("Erasure plan rejected by the privacy officer"),
    "erased": _l("Erasure carried out"),
    "recipients_notified": _l("Notices to recipients made (Art. 19)"),
    "notice_sent": _l("Notice sent to a recipient"),
    "notice_confirmed": _l("A recipient confirmed the notice"),
    "notice_failed": _l("Notice to a recipient could not be delivered"),
    "notice_resend": _l("Notice to a recipient queued again"),
    "notice_not_notified": _l("Recorded why a recipient is not notified"),
    "package_built": _l("Package built for preview"),
    "package_released": _l("Package released to the person"),
    "package_downloaded": _l("The person downloaded a package file"),
    "package_expired": _l("Package link expired; files deleted"),
    "log_reduced": _l("Retention period ended: reduced to the minimal case log"),
}

APPROVAL_KIND_LABELS: dict[str, LazyString] = {
    "objection": _l("Decision on an objection (Art. 21.1)"),
    "extension": _l("Extension of the deadline"),
    "refusal": _l("Refusal"),
    "erasure": _l("Erasure plan"),
}

APPROVAL_STATUS_LABELS: dict[str, LazyString] = {
    "pending": _l("Waiting for the privacy officer"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}


def options(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """Choices as WTForms 3.3 wants them (tuples are deprecated and warn on every form)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _too_long() -> LazyString:
    return _l("At most %(max)d characters.", max=TEXT_MAX)


def _text(label: LazyString, required: LazyString, *, optional: bool = False) -> TextAreaField:
    first = Optional() if optional else DataRequired(required)
    return TextAreaField(
        label,
        validators=[first, Length(max=TEXT_MAX, message=_too_long())],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def staff_choices(staff: Iterable[StaffUser]) -> list[tuple[str, str]]:
    return [(str(user.id), user.name) for user in staff]


# --- the queue --------------------------------------------------------------------------------

OPEN = "open"
ALL = "all"
ME = "me"
ANY = "any"


class QueueFilterForm(FlaskForm):
    """The queue's filters: a GET form, so a filtered view is a link (no CSRF needed)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default=OPEN, validators=[Optional()])
    type = SelectField(_l("Type"), default=ALL, validators=[Optional()])
    assignee = SelectField(_l("Assigned to"), default=ANY, validators=[Optional()])
    due = SelectField(_l("Deadline"), default=DueWindow.ALL.value, validators=[Optional()])
    q = StringField(
        _l("Reference or e-mail address"),
        validators=[Optional(), Length(max=254, message=_l("At most 254 characters."))],
    )

    def __init__(self, *args: Any, staff: Iterable[StaffUser] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = options(
            [
                (OPEN, _l("Open (received, in progress, waiting)")),
                (ALL, _l("All statuses")),
                *((s.value, STAFF_STATUS_LABELS[s]) for s in RequestStatus),
            ]
        )
        self.type.choices = options(
            [(ALL, _l("All types")), *((t.value, STAFF_TYPE_LABELS[t]) for t in RequestType)]
        )
        self.assignee.choices = options(
            [
                (ANY, _l("Anyone or nobody")),
                (ME, _l("Me")),
                (UNASSIGNED, _l("Nobody (unassigned)")),
                *staff_choices(staff),
            ]
        )
        self.due.choices = options(
            [
                (DueWindow.ALL.value, _l("Any deadline")),
                (DueWindow.OVERDUE.value, _l("Overdue")),
                (DueWindow.SOON.value, _l("Due within 7 days")),
            ]
        )


def assignee_field(label: LazyString) -> SelectField:
    """A choice of staff or nobody; the list itself is the check (no ``required``: the first
    option, nobody, is a real choice)."""
    return SelectField(label)


def set_assignees(field: SelectField, staff: Iterable[StaffUser]) -> None:
    field.choices = options([(UNASSIGNED, _l("Nobody (unassigned)")), *staff_choices(staff)])


class BulkAssignForm(FlaskForm):
    """Checkboxes in the queue table plus one assignee for all the chosen cases."""

    cases = SelectMultipleField(_l("Cases"), coerce=int, validate_choice=False)
    assignee = assignee_field(_l("Assign the chosen cases to"))
    next = HiddenField(validators=[Optional(), Length(max=2000)])

    def validate_cases(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one case to assign."))


# --- the case page ----------------------------------------------------------------------------


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AssignForm(FlaskForm):
    assignee = assignee_field(_l("Assigned to"))


class ClarificationForm(FlaskForm):
    body = _text(_l("Your question to the person"), _l("Write the question to the person."))


class MessageForm(FlaskForm):
    body = _text(_l("Message to the person"), _l("Write the message."))


class NoteForm(FlaskForm):
    body = _text(_l("Internal note"), _l("Write the note."))


class ExtensionForm(FlaskForm):
    reasons = _text(
        _l("Reasons for the extension"), _l("Give the reasons: they are sent to the person.")
    )


def _ground_choice(ground: str) -> str:
    """The ground's label with its article, in the language of the page being drawn."""
    article = REFUSAL_GROUNDS[ground]
    label = str(REFUSAL_GROUND_LABELS[ground])
    return f"{label} ({cite_article(article)})" if article else label


class RefusalForm(FlaskForm):
    scope = RadioField(
        _l("What is refused"),
        choices=options((s, REFUSAL_SCOPE_LABELS[s]) for s in REFUSAL_SCOPES),
        validators=[InputRequired(_l("Choose whether the whole request or a part is refused."))],
    )
    ground = SelectField(
        _l("Legal ground"),
        choices=options(
            [
                ("", _l("Choose a ground")),
                *((g, LazyString(_ground_choice, g)) for g in REFUSAL_GROUNDS),
            ]
        ),
        validators=[
            DataRequired(_l("Choose the legal ground.")),
            AnyOf(list(REFUSAL_GROUNDS), message=_l("Choose the legal ground.")),
        ],
    )
    reasons = _text(
        _l("Specific reasons"),
        _l("Give the specific reasons: they are sent to the person."),
    )


class DecisionForm(FlaskForm):
    """The privacy officer's approval or rejection of one pending proposal."""

    approval_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])
    decision = StringField(validators=[AnyOf(["approve", "reject"])])
    note = _text(_l("Note on the decision (optional)"), _l("Write a note."), optional=True)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "reject" and not self.note.data:  # Optional() ends the chain
            self.note.errors = [*self.note.errors, _l("Say why the proposal is rejected.")]
            return False
        return valid


class CompleteForm(FlaskForm):
    body = _text(
        _l("Message to the person: what was done"),
        _l("Tell the person what was done."),
    )
