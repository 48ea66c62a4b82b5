"""Names and explanations of request types and statuses, in the person's language.

One table for pages, e-mails and PDFs, so a type is never called two things.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from app.core.permissions import Permission, StaffRole
from app.core.workflow import RequestStatus, RequestType

TYPE_LABELS: dict[RequestType, LazyString] = {
    RequestType.ACCESS: _l("Access to my data"),
    RequestType.RECTIFICATION: _l("Correction of my data"),
    RequestType.ERASURE: _l("Erasure of my data"),
    RequestType.RESTRICTION: _l("Restriction of processing"),
    RequestType.OBJECTION: _l("Objection to processing"),
    RequestType.CONSENT_WITHDRAWAL: _l("Withdrawal of consent"),
    RequestType.PORTABILITY: _l("Data portability"),
}

TYPE_DESCRIPTIONS: dict[RequestType, LazyString] = {
    RequestType.ACCESS: _l(
        "Find out whether we process your data and get a copy of it, with the purposes, "
        "recipients, retention periods and where the data came from."
    ),
    RequestType.RECTIFICATION: _l("Have wrong data corrected or incomplete data completed."),
    RequestType.ERASURE: _l(
        "Have your data erased, unless the law requires us to keep some of it; "
        "then we tell you what, why and until when."
    ),
    RequestType.RESTRICTION: _l(
        "Have your data kept but not used while, for example, their accuracy is checked."
    ),
    RequestType.OBJECTION: _l(
        "Stop direct marketing to you at once, or object to processing based on our "
        "legitimate interest."
    ),
    RequestType.CONSENT_WITHDRAWAL: _l(
        "Withdraw a consent you have given. It takes effect immediately."
    ),
    RequestType.PORTABILITY: _l(
        "Get the data you provided to us in a machine-readable format, to use elsewhere."
    ),
}

NEXT_STEPS: dict[RequestType, LazyString] = {
    RequestType.ACCESS: _l(
        "We collect your data from all our systems. When your copy is ready you will get an "
        "e-mail, and you download it in the portal after confirming your e-mail address again."
    ),
    RequestType.RECTIFICATION: _l(
        "We check the correction, change the data in all our systems and tell those who have "
        "received your data. You will get an e-mail when it is done."
    ),
    RequestType.ERASURE: _l(
        "We go through all data about you and erase what we may. If the law requires us to keep "
        "something, such as invoices, we tell you what, on what ground and until when."
    ),
    RequestType.RESTRICTION: _l(
        "We mark your data so that they are only stored and not used, and tell those who have "
        "received them. We will tell you before any restriction is lifted."
    ),
    RequestType.OBJECTION: _l(
        "We assess your objection. Until then your data are not used for the processing you "
        "object to. You will get our decision with the reasons."
    ),
    RequestType.CONSENT_WITHDRAWAL: _l(
        "Your consent was withdrawn when you sent the request. Processing that was based on it "
        "has stopped."
    ),
    RequestType.PORTABILITY: _l(
        "We prepare the data you provided in the format you chose. You will get an e-mail when "
        "it can be downloaded."
    ),
}

MARKETING_STOPPED = _l(
    "Your objection to direct marketing took effect when you sent it: we no longer use your "
    "data for marketing or sales outreach."
)

STATUS_LABELS: dict[RequestStatus, LazyString] = {
    RequestStatus.RECEIVED: _l("Received"),
    RequestStatus.IN_PROGRESS: _l("In progress"),
    RequestStatus.AWAITING_SUBJECT: _l("Waiting for your answer"),
    RequestStatus.COMPLETED: _l("Completed"),
    RequestStatus.REFUSED: _l("Refused"),
    RequestStatus.WITHDRAWN: _l("Withdrawn"),
}

# Staff see the same statuses and types named from their side of the case.
STAFF_STATUS_LABELS: dict[RequestStatus, LazyString] = {
    **STATUS_LABELS,
    RequestStatus.AWAITING_SUBJECT: _l("Waiting for the person"),
}

STAFF_TYPE_LABELS: dict[RequestType, LazyString] = {
    RequestType.ACCESS: _l("Access"),
    RequestType.RECTIFICATION: _l("Rectification"),
    RequestType.ERASURE: _l("Erasure"),
    RequestType.RESTRICTION: _l("Restriction"),
    RequestType.OBJECTION: _l("Objection"),
    RequestType.CONSENT_WITHDRAWAL: _l("Consent withdrawal"),
    RequestType.PORTABILITY: _l("Portability"),
}

EVENT_LABELS: dict[str, LazyString] = {
    "restricted": _l("Your data are restricted: only stored, not used"),
    "objection_restricted": _l("Your data are restricted while we assess your objection"),
    "restriction_lift_announced": _l("We told you that the restriction will be lifted"),
    "restriction_lifted": _l("The restriction was lifted"),
    "objection_upheld": _l("Your objection was upheld: the processing has stopped"),
    "objection_overridden": _l("Your objection was not upheld: compelling grounds"),
    "filed": _l("Request received"),
    "status_changed": _l("Status changed"),
    "withdrawn": _l("You withdrew the request"),
    "consent_withdrawn": _l("Consent withdrawn"),
    "marketing_stopped": _l("Direct marketing stopped"),
    "message_to_subject": _l("New message from us"),
    "message_from_subject": _l("You sent a message"),
    "clarification_requested": _l("We asked you a question"),
    "resumed": _l("Handling resumed"),
    "completed": _l("Completed"),
    "extended": _l("The time to answer was extended"),
    "refused": _l("The request was refused"),
    "partly_refused": _l("The request was partly refused"),
    "assigned": _l("Assigned"),
    "extension_proposed": _l("Extension proposed"),
    "refusal_proposed": _l("Refusal proposed"),
    "extension_rejected": _l("Extension rejected by the officer"),
    "refusal_rejected": _l("Refusal rejected by the officer"),
    "rectified": _l("Your data were corrected"),
    "erased": _l("Your data were erased"),
    "recipients_notified": _l("We are telling the recipients of your data"),
    "package_released": _l("Your copy is ready to download"),
    "package_downloaded": _l("You downloaded your copy"),
    "package_expired": _l("The download link expired and the files were deleted"),
}

REFUSAL_GROUND_LABELS: dict[str, LazyString] = {
    "manifestly_unfounded": _l("The request is manifestly unfounded"),
    "excessive": _l("The request is excessive, for example because it is repeated"),
    "not_identified": _l("We cannot identify you as the person the data are about"),
    "legal_obligation": _l("A legal obligation requires us to keep the data"),
    "legal_claims": _l("The data are needed to establish, exercise or defend legal claims"),
    "compelling_grounds": _l("Compelling legitimate grounds override your interests"),
    "rights_of_others": _l("It would adversely affect the rights and freedoms of others"),
    "portability_not_applicable": _l(
        "Portability does not apply: the data are processed on the basis of legitimate interest"
    ),
    "data_accurate": _l("The data are correct"),
    "other": _l("Other ground, described in the reasons"),
}


ROLE_LABELS: dict[StaffRole, LazyString] = {
    StaffRole.HANDLER: _l("Case handler"),
    StaffRole.OFFICER: _l("Privacy officer"),
    StaffRole.ADMIN: _l("Administrator"),
}


def cite_article(number: str) -> str:
    """'Art. 15 GDPR' in the current language's style ('art. 15 GDPR' in Swedish)."""
    return gettext("Art. %(number)s GDPR", number=number)


def cite(request_type: RequestType) -> str:
    return cite_article(request_type.article)


def next_steps(request_type: RequestType, details: dict[str, object]) -> LazyString:
    if request_type is RequestType.OBJECTION and details.get("kind") == "direct_marketing":
        return MARKETING_STOPPED
    return NEXT_STEPS[request_type]


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        TYPE_LABELS=TYPE_LABELS,
        TYPE_DESCRIPTIONS=TYPE_DESCRIPTIONS,
        STATUS_LABELS=STATUS_LABELS,
        STAFF_STATUS_LABELS=STAFF_STATUS_LABELS,
        STAFF_TYPE_LABELS=STAFF_TYPE_LABELS,
        EVENT_LABELS=EVENT_LABELS,
        REFUSAL_GROUND_LABELS=REFUSAL_GROUND_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        Permission=Permission,
        next_steps=next_steps,
        cite=cite,
        cite_article=cite_article,
    )
