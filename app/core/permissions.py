"""Who may do what: roles and their permissions, checked on the server for every staff view.

``admin`` manages accounts but sees no personal data unless also given a case role
(separation of duties, security.md C2).
"""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    HANDLER = "handler"
    OFFICER = "officer"
    ADMIN = "admin"


class Permission(StrEnum):
    WORK_CASES = "work_cases"  # queue, case pages, messages, notes, intake, propose decisions
    APPROVE = "approve"  # extensions, refusals (and erasures): the privacy officer's call
    READ_AUDIT = "read_audit"
    VIEW_DASHBOARD = "view_dashboard"
    EDIT_REGISTER = "edit_register"  # the Art. 30 register and the public privacy policy
    MANAGE_STAFF = "manage_staff"


ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.HANDLER: frozenset({Permission.WORK_CASES}),
    StaffRole.OFFICER: frozenset(
        {
            Permission.WORK_CASES,
            Permission.APPROVE,
            Permission.READ_AUDIT,
            Permission.VIEW_DASHBOARD,
            Permission.EDIT_REGISTER,
        }
    ),
    StaffRole.ADMIN: frozenset({Permission.MANAGE_STAFF}),
}


def has_permission(role: StaffRole, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
