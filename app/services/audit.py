"""The audit trail: every staff action and every view of personal data (legal.md §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEntry, StaffUser, SubjectRequest


def record(
    session: Session,
    *,
    action: str,
    now: datetime,
    staff: StaffUser | None = None,
    actor: str | None = None,
    request: SubjectRequest | None = None,
    person_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``data`` holds identifiers and field names, never personal data."""
    entry = AuditEntry(
        occurred_at=now,
        actor_id=staff.id if staff else None,
        actor=staff.actor if staff else (actor or "system"),
        action=action,
        request_id=request.id if request else None,
        reference=request.reference if request else None,
        person_id=person_id,
        data=data or {},
    )
    session.add(entry)
    session.flush()
    return entry
