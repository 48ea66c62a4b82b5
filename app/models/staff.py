"""Staff accounts: handlers, the privacy officer, administrators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.permissions import Permission, StaffRole, has_permission
from app.db import Base, enum_type


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enrolled_at: Mapped[datetime | None]
    # The last accepted TOTP time step: a code is accepted once (security.md A2).
    totp_last_step: Mapped[int | None]
    recovery_code_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Part of the login cookie's id: bumping it ends every session of the account (B3, B5).
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    # Flask-Login's user protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def can(self, permission: Permission) -> bool:
        return self.active and has_permission(self.role, permission)

    @property
    def actor(self) -> str:
        """How this person appears as the actor of timeline events and audit entries."""
        return f"staff:{self.id}"
