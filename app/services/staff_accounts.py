"""Staff accounts: creation, sign-in checks (password, TOTP, recovery codes), lockout, and what an
administrator changes (role, disable, TOTP reset, unlock). security.md §1-§3.

Like every service, these functions take a ``Session`` and ``now`` and only flush; the caller
commits. Each change is in the audit trail; sign-in events carry the account id, never the
e-mail address or anything typed.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import pyotp
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.permissions import StaffRole
from app.models import StaffUser
from app.services import audit, passwords
from app.services.passwords import PasswordProblem

log = logging.getLogger(__name__)

MAX_FAILURES = 10  # consecutive failed passwords or codes before the account is locked
LOCK_TIME = timedelta(minutes=15)
TOTP_WINDOW = 1  # steps of 30 s accepted either side of now: clock drift, not more (A2)
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper
ISSUER = "Rättighetsportalen"


# --- errors -----------------------------------------------------------------------------------


class AccountError(Exception):
    """An account change that is not allowed; ``reason`` says which rule."""

    reason = "invalid"


class InvalidEmailError(AccountError):
    reason = "email"


class AccountExistsError(AccountError):
    reason = "exists"


class WeakPasswordError(AccountError):
    reason = "password"

    def __init__(self, problem: PasswordProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class SelfChangeError(AccountError):
    """An administrator may not change the role or status of their own account."""

    reason = "self"


class LastAdminError(AccountError):
    """The change would leave no active administrator."""

    reason = "last_admin"


# --- creating accounts ------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    """The form an address is stored and looked up in (lower case, IDNA).

    :raises InvalidEmailError: when it is not an e-mail address.
    """
    value = (value or "").strip()
    if not value or len(value) > 254 or any(ch in value for ch in "\r\n"):
        raise InvalidEmailError
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmailError from exc
    return result.normalized.lower()


def find_by_email(session: Session, email: str) -> StaffUser | None:
    try:
        address = normalise_email(email)
    except InvalidEmailError:
        return None
    return session.scalar(select(StaffUser).where(StaffUser.email == address))


def create_account(
    session: Session,
    *,
    email: str,
    name: str,
    role: StaffRole,
    password: str,
    now: datetime,
    by: StaffUser | None = None,
) -> StaffUser:
    """A new account with a password meeting the policy; the person enrols TOTP at first login.

    ``by`` is the administrator; None means the ``create-staff`` command.

    :raises InvalidEmailError, AccountExistsError, WeakPasswordError:
    """
    address = normalise_email(email)
    name = (name or "").strip() or address.split("@")[0]
    problem = passwords.password_problem(password, email=address, name=name)
    if problem is not None:
        raise WeakPasswordError(problem)
    if session.scalar(select(StaffUser.id).where(StaffUser.email == address)) is not None:
        raise AccountExistsError
    user = StaffUser(
        email=address,
        name=name,
        role=role,
        password_hash=passwords.hash_password(password),
        recovery_code_hashes=[],
        failed_logins=0,
        session_version=1,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    _audit(session, "staff.create", now, by, user, role=role.value)
    return user


# --- signing in -------------------------------------------------------------------------------


def is_locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def check_password(
    session: Session, *, email: str, password: str, now: datetime
) -> StaffUser | None:
    """The password step: the account if the password is right and the account may sign in.

    An unknown address, a wrong password, a disabled and a locked account all give None after the
    same work (one argon2 verification), so neither the answer nor its timing tells them apart
    (A4). A wrong password counts towards the lockout; attempts while locked do not prolong it.
    Success does not reset the count: only a completed sign-in (password and code) does.
    """
    user = find_by_email(session, email)
    if user is None:
        passwords.spend_verification_time(password)
        _auth_event(session, "login_fail", now, None, reason="unknown_account")
        return None
    matches = passwords.verify_password(user.password_hash, password)
    if not user.active:
        _auth_event(session, "login_fail", now, user, reason="disabled")
        return None
    if is_locked(user, now):
        _auth_event(session, "login_fail", now, user, reason="locked")
        return None
    if not matches:
        _auth_event(session, "login_fail", now, user, reason="password")
        register_failure(session, user, now)
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.flush()
    return user


def register_failure(session: Session, user: StaffUser, now: datetime) -> None:
    """One more failed password or code; the tenth in a row locks the account for 15 minutes."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILURES:
        user.failed_logins = 0
        user.locked_until = now + LOCK_TIME
        _auth_event(session, "lockout", now, user, minutes=int(LOCK_TIME.total_seconds() // 60))
    session.flush()


def may_continue(user: StaffUser | None, now: datetime) -> bool:
    """Whether a pending sign-in (password done, code to come) may go on."""
    return user is not None and user.active and not is_locked(user, now)


def _step(now: datetime) -> int:
    return int(now.timestamp()) // 30


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step within the window whose code is ``code`` and that is newer than ``after``."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = _step(now)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if after is not None and step <= after:
            continue  # a code is accepted once, and never one older than the last one used
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_totp(session: Session, user: StaffUser, code: str, now: datetime) -> bool:
    """The code step of an enrolled account; a wrong or reused code counts as a failure."""
    if user.totp_secret is None or user.totp_enrolled_at is None:
        return False
    step = _matching_step(user.totp_secret, code, now, user.totp_last_step)
    if step is None:
        _auth_event(session, "totp_fail", now, user)
        register_failure(session, user, now)
        return False
    user.totp_last_step = step
    session.flush()
    return True


def looks_like_totp(code: str) -> bool:
    code = "".join(code.split())
    return code.isdigit() and len(code) == 6


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def use_recovery_code(session: Session, user: StaffUser, code: str, now: datetime) -> bool:
    """Sign in with one of the recovery codes instead of a TOTP code; each code works once."""
    wanted = _normalise_recovery(code)
    hashes = list(user.recovery_code_hashes or [])
    if len(wanted) == 10 and user.totp_enrolled_at is not None:
        for stored in hashes:
            if passwords.verify_password(stored, wanted):
                hashes.remove(stored)
                user.recovery_code_hashes = hashes  # a new list: JSON columns see assignment
                _auth_event(session, "recovery_code_used", now, user, left=len(hashes))
                session.flush()
                return True
    _auth_event(session, "totp_fail", now, user, kind="recovery_code")
    register_failure(session, user, now)
    return False


# --- enrolment --------------------------------------------------------------------------------


def needs_enrolment(user: StaffUser) -> bool:
    return user.totp_enrolled_at is None


def start_enrolment(session: Session, user: StaffUser) -> str:
    """A fresh TOTP secret for an account that has none enrolled (160 bits from the CSPRNG).

    Made at each passed password step, so only the last one to sign in can confirm it.
    """
    user.totp_secret = pyotp.random_base32()
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.flush()
    return user.totp_secret


def provisioning_uri(user: StaffUser) -> str:
    if user.totp_secret is None:
        raise ValueError("no TOTP secret to enrol")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def confirm_enrolment(
    session: Session, user: StaffUser, code: str, now: datetime
) -> list[str] | None:
    """Confirm the pending secret with a code from the app: the recovery codes, shown once.

    None when the code is wrong (a failure towards the lockout).
    """
    if user.totp_secret is None or user.totp_enrolled_at is not None:
        return None
    step = _matching_step(user.totp_secret, code, now, user.totp_last_step)
    if step is None:
        _auth_event(session, "totp_fail", now, user, kind="enrolment")
        register_failure(session, user, now)
        return None
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    user.totp_last_step = step
    user.totp_enrolled_at = now
    user.recovery_code_hashes = [passwords.hash_password(_normalise_recovery(c)) for c in codes]
    _auth_event(session, "enrol", now, user)
    session.flush()
    return codes


def complete_login(session: Session, user: StaffUser, now: datetime, *, method: str) -> None:
    """Both factors passed: reset the failure count, stamp the time, audit ``login_ok``."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    _auth_event(session, "login_ok", now, user, method=method)
    session.flush()


def logout(session: Session, user: StaffUser, now: datetime) -> None:
    """End every session of the account: its login cookies carry the old version (B3)."""
    user.session_version += 1
    _auth_event(session, "logout", now, user)
    session.flush()


# --- administration ---------------------------------------------------------------------------


def list_accounts(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)))


def _other_active_admins(session: Session, user: StaffUser) -> int:
    return (
        session.scalar(
            select(func.count(StaffUser.id)).where(
                StaffUser.role == StaffRole.ADMIN,
                StaffUser.active.is_(True),
                StaffUser.id != user.id,
            )
        )
        or 0
    )


def _guard(session: Session, user: StaffUser, by: StaffUser | None, *, removes_admin: bool) -> None:
    if by is not None and by.id == user.id:
        raise SelfChangeError
    if (
        removes_admin
        and user.active
        and user.role is StaffRole.ADMIN
        and _other_active_admins(session, user) == 0
    ):
        raise LastAdminError


def change_role(
    session: Session, user: StaffUser, role: StaffRole, *, by: StaffUser | None, now: datetime
) -> None:
    """Takes effect on the person's next request: the role is read from the database each time."""
    if role is user.role:
        return
    _guard(session, user, by, removes_admin=role is not StaffRole.ADMIN)
    before = user.role
    user.role = role
    _audit(session, "staff.role", now, by, user, before=before.value, after=role.value)


def disable(session: Session, user: StaffUser, *, by: StaffUser | None, now: datetime) -> None:
    """The account cannot sign in, and its live sessions end at once (B5)."""
    if not user.active:
        return
    _guard(session, user, by, removes_admin=True)
    user.active = False
    user.session_version += 1
    _audit(session, "staff.disable", now, by, user)


def enable(session: Session, user: StaffUser, *, by: StaffUser | None, now: datetime) -> None:
    if user.active:
        return
    _guard(session, user, by, removes_admin=False)
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    _audit(session, "staff.enable", now, by, user)


def reset_totp(session: Session, user: StaffUser, *, by: StaffUser | None, now: datetime) -> None:
    """Forget the TOTP secret and recovery codes: the person enrols again at the next sign-in.

    Their sessions end too (ASVS 7.4.3: sessions end after an MFA change).
    """
    _guard(session, user, by, removes_admin=False)
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    user.recovery_code_hashes = []
    user.session_version += 1
    _audit(session, "staff.reset_totp", now, by, user)


def unlock(session: Session, user: StaffUser, *, by: StaffUser | None, now: datetime) -> None:
    _guard(session, user, by, removes_admin=False)
    user.failed_logins = 0
    user.locked_until = None
    _audit(session, "staff.unlock", now, by, user)


# --- audit ------------------------------------------------------------------------------------


def _audit(
    session: Session,
    action: str,
    now: datetime,
    by: StaffUser | None,
    user: StaffUser,
    **data: Any,
) -> None:
    audit.record(
        session,
        action=action,
        now=now,
        staff=by,
        actor=None if by else "cli",
        data={"staff_id": user.id, **data},
    )
    session.flush()


# Events of someone who has not signed in: the account is what was tried, not the actor.
_UNPROVEN = frozenset({"login_fail", "totp_fail", "lockout"})


def _auth_event(
    session: Session, action: str, now: datetime, user: StaffUser | None, **data: Any
) -> None:
    """A sign-in event in the audit trail and the log, by account id only (K1, K2)."""
    audit.record(
        session,
        action=action,
        now=now,
        staff=None if action in _UNPROVEN else user,
        actor="anonymous",
        data={"staff_id": user.id if user else None, **data},
    )
    log.info(
        "auth %s staff=%s %s",
        action,
        user.id if user else "-",
        " ".join(f"{key}={value}" for key, value in sorted(data.items())),
    )
