"""Typed SQLAlchemy models, one module per family (design.md §2).

Importing this package registers every table on ``Base.metadata`` (Alembic and tests rely on it).
"""

from app.models.fulfilment import (
    Delivery,
    DeliveryDownload,
    DeliveryFile,
    DeliveryKind,
    DeliveryStatus,
    NoticeAction,
    NoticeMethod,
    NoticeStatus,
    RecipientNotice,
)
from app.models.mail import EmailStatus, OutboundEmail
from app.models.policy import PolicyNotice, PolicyVersion
from app.models.register import (
    ControllerInfo,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    RetentionTrigger,
)
from app.models.requests import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    CaseNote,
    Message,
    ReferenceCounter,
    ReminderLog,
    RequestEvent,
    SubjectRequest,
)
from app.models.security import AuditEntry, EmailToken, SubjectKey, SubjectSession, Suppression
from app.models.staff import StaffUser
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
    "Approval",
    "ApprovalKind",
    "ApprovalStatus",
    "Assignment",
    "AuditEntry",
    "CaseNote",
    "Communication",
    "Company",
    "Consent",
    "ControllerInfo",
    "Delivery",
    "DeliveryDownload",
    "DeliveryFile",
    "DeliveryKind",
    "DeliveryStatus",
    "EmailStatus",
    "EmailToken",
    "LegalBasis",
    "Meeting",
    "Message",
    "NoticeAction",
    "NoticeMethod",
    "NoticeStatus",
    "OutboundEmail",
    "Person",
    "PersonKind",
    "PolicyNotice",
    "PolicyVersion",
    "Purpose",
    "Recipient",
    "RecipientKind",
    "RecipientNotice",
    "ReferenceCounter",
    "ReminderLog",
    "RequestEvent",
    "RetentionRule",
    "RetentionTrigger",
    "StaffUser",
    "SubjectKey",
    "SubjectRequest",
    "SubjectSession",
    "Suppression",
    "TechnicalRecord",
]
