"""Typed SQLAlchemy models, one module per family (design.md §2).

Importing this package registers every table on ``Base.metadata`` (Alembic and tests rely on it).
"""

from app.models.mail import EmailStatus, OutboundEmail
from app.models.register import (
    ControllerInfo,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    RetentionTrigger,
)
from app.models.requests import ReferenceCounter, RequestEvent, SubjectRequest
from app.models.security import EmailToken, SubjectSession
from app.models.subjects import (
    AccountingRecord,
    Assignment,
    Communication,
    Company,
    Consent,
    Meeting,
    Person,
    PersonKind,
    TechnicalRecord,
)

__all__ = [
    "AccountingRecord",
    "Assignment",
    "Communication",
    "Company",
    "Consent",
    "ControllerInfo",
    "EmailStatus",
    "EmailToken",
    "LegalBasis",
    "Meeting",
    "OutboundEmail",
    "Person",
    "PersonKind",
    "Purpose",
    "Recipient",
    "RecipientKind",
    "ReferenceCounter",
    "RequestEvent",
    "RetentionRule",
    "RetentionTrigger",
    "SubjectRequest",
    "SubjectSession",
    "TechnicalRecord",
]
