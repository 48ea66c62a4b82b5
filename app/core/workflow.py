"""Request types, statuses and the transition table: the one place that says what may follow what.

Pure on purpose: the table is the legal workflow (design.md §6) and is tested as a table.
"""

from __future__ import annotations

from enum import StrEnum


class RequestType(StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    PORTABILITY = "portability"

    @property
    def article(self) -> str:
        """The number of the GDPR article the right comes from ("15", "7.3"), for citing."""
        return ARTICLES[self]


ARTICLES: dict[RequestType, str] = {
    RequestType.ACCESS: "15",
    RequestType.RECTIFICATION: "16",
    RequestType.ERASURE: "17",
    RequestType.RESTRICTION: "18",
    RequestType.OBJECTION: "21",
    RequestType.CONSENT_WITHDRAWAL: "7.3",
    RequestType.PORTABILITY: "20",
}


class RequestStatus(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    AWAITING_SUBJECT = "awaiting_subject"
    COMPLETED = "completed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self not in CLOSED_STATUSES


CLOSED_STATUSES = frozenset(
    {RequestStatus.COMPLETED, RequestStatus.REFUSED, RequestStatus.WITHDRAWN}
)


class Channel(StrEnum):
    """How a request reached the controller; all channels are valid (legal.md §3)."""

    PORTAL = "portal"
    EMAIL = "email"
    LETTER = "letter"
    PHONE = "phone"
    IN_PERSON = "in_person"


_S = RequestStatus
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    _S.RECEIVED: frozenset({_S.IN_PROGRESS, _S.COMPLETED, _S.REFUSED, _S.WITHDRAWN}),
    _S.IN_PROGRESS: frozenset({_S.AWAITING_SUBJECT, _S.COMPLETED, _S.REFUSED, _S.WITHDRAWN}),
    _S.AWAITING_SUBJECT: frozenset({_S.IN_PROGRESS, _S.COMPLETED, _S.REFUSED, _S.WITHDRAWN}),
    _S.COMPLETED: frozenset(),
    _S.REFUSED: frozenset(),
    _S.WITHDRAWN: frozenset(),
}


class InvalidTransitionError(Exception):
    """A status change the workflow does not allow from the current status."""

    def __init__(self, current: RequestStatus, target: RequestStatus) -> None:
        super().__init__(f"cannot go from {current.value} to {target.value}")
        self.current = current
        self.target = target


def can_transition(current: RequestStatus, target: RequestStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: RequestStatus, target: RequestStatus) -> None:
    """:raises InvalidTransitionError: when ``target`` may not follow ``current``."""
    if not can_transition(current, target):
        raise InvalidTransitionError(current, target)
