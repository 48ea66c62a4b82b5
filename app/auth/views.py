"""Staff sign-in in two steps: password, then a TOTP code (enrolled on first sign-in), and sign-out.

The password step only notes in the session which account passed and when (five minutes to give
the code); the account is signed in after the code, in a fresh session (security.md A1, B2).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import segno
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from app.auth import bp
from app.auth.forms import CodeForm, LoginForm
from app.clock import now
from app.core.permissions import Permission
from app.db import get_session
from app.extensions import limiter
from app.models import StaffUser
from app.redirects import safe_next
from app.services import staff_accounts
from app.staff.access import start_staff_session

PENDING_LIFETIME = timedelta(minutes=5)
_PENDING = "staff_pending"  # {"id": <staff id>, "at": <ISO time the password was right>}
_NEXT = "staff_next"
_LIMIT = "10/minute"


def landing(user: StaffUser) -> str:
    """Where a signed-in account starts: the queue for case workers, the accounts for admins."""
    if user.can(Permission.WORK_CASES):
        return url_for("staff.queue")
    if user.can(Permission.MANAGE_STAFF):
        return url_for("staff.accounts")
    return url_for("auth.login")


def _signed_in_staff() -> StaffUser | None:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return user if isinstance(user, StaffUser) else None


# --- step 1: password -------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_LIMIT, methods=["POST"])
def login() -> str | tuple[str, int] | BaseResponse:
    next_path = safe_next(request.args.get("next"))
    if request.method == "GET":
        user = _signed_in_staff()
        if user is not None:
            return redirect(next_path or landing(user))
        if request.args.get("expired"):
            flash(_("Your session has ended. Please sign in again."), "info")
        return render_template("auth/login.html", form=LoginForm(), next_path=next_path)

    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, next_path=next_path), 400
    db = get_session()
    moment = now()
    user = staff_accounts.check_password(
        db, email=form.email.data, password=form.password.data, now=moment
    )
    if user is None:
        db.commit()
        return render_template("auth/login.html", form=form, next_path=next_path, failed=True), 400
    if staff_accounts.needs_enrolment(user):
        staff_accounts.start_enrolment(db, user)
    db.commit()
    session[_PENDING] = {"id": user.id, "at": moment.isoformat()}
    if next_path:
        session[_NEXT] = next_path
    else:
        session.pop(_NEXT, None)
    step = "auth.enrol" if staff_accounts.needs_enrolment(user) else "auth.totp"
    return redirect(url_for(step), code=303)


def _pending_user() -> StaffUser | None:
    """The account whose password step passed less than five minutes ago, if it may go on."""
    pending = session.get(_PENDING)
    try:
        staff_id = int(pending["id"])
        at = datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        session.pop(_PENDING, None)
        return None
    moment = now()
    user = get_session().get(StaffUser, staff_id)
    if not (at <= moment <= at + PENDING_LIFETIME) or not staff_accounts.may_continue(user, moment):
        session.pop(_PENDING, None)
        return None
    return user


def _start_over() -> BaseResponse:
    session.pop(_PENDING, None)
    flash(_("Please sign in again."), "info")
    return redirect(url_for("auth.login"), code=303)


def _finish_login(user: StaffUser, method: str) -> str:
    """Both factors passed: a new session holding the account (B2). Returns where to go next."""
    db = get_session()
    staff_accounts.complete_login(db, user, now(), method=method)
    db.commit()
    target = safe_next(session.get(_NEXT)) or landing(user)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(user)
    start_staff_session(user)
    return target


# --- step 2: the code -------------------------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_LIMIT, methods=["POST"])
def totp() -> str | tuple[str, int] | BaseResponse:
    user = _pending_user()
    if user is None:
        return _start_over()
    if staff_accounts.needs_enrolment(user):
        return redirect(url_for("auth.enrol"), code=303)
    form = CodeForm()
    if request.method == "GET":
        return render_template("auth/totp.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/totp.html", form=form), 400
    db = get_session()
    moment = now()
    code = form.code.data
    if staff_accounts.looks_like_totp(code):
        method = "totp"
        passed = staff_accounts.verify_totp(db, user, code, moment)
    else:
        method = "recovery_code"
        passed = staff_accounts.use_recovery_code(db, user, code, moment)
    db.commit()
    if not passed:
        if not staff_accounts.may_continue(user, moment):
            return _start_over()
        form.code.errors = [_("The code is not right, or it has been used already.")]
        return render_template("auth/totp.html", form=form), 400
    left = len(user.recovery_code_hashes or [])
    target = _finish_login(user, method)
    if method == "recovery_code":
        flash(
            ngettext(
                "You signed in with a recovery code. %(num)d code is left; if you have lost "
                "your phone, ask an administrator to reset your authenticator.",
                "You signed in with a recovery code. %(num)d codes are left; if you have lost "
                "your phone, ask an administrator to reset your authenticator.",
                left,
            ),
            "info",
        )
    return redirect(target, code=303)


# --- first sign-in: enrol the authenticator ---------------------------------------------------


def _group(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(_LIMIT, methods=["POST"])
def enrol() -> str | tuple[str, int] | BaseResponse:
    user = _pending_user()
    if user is None:
        return _start_over()
    if not staff_accounts.needs_enrolment(user):
        return redirect(url_for("auth.totp"), code=303)
    db = get_session()
    if user.totp_secret is None:  # reset by an administrator meanwhile
        staff_accounts.start_enrolment(db, user)
        db.commit()
    form = CodeForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            moment = now()
            codes = staff_accounts.confirm_enrolment(db, user, form.code.data, moment)
            db.commit()
            if codes is not None:
                target = _finish_login(user, "enrol")
                return render_template("auth/recovery_codes.html", codes=codes, target=target)
            if not staff_accounts.may_continue(user, moment):
                return _start_over()
            form.code.errors = [
                _("The code is not right. Check that the time on your phone is correct.")
            ]
        status = 400
    uri = staff_accounts.provisioning_uri(user)
    page = render_template(
        "auth/enrol.html",
        form=form,
        qr=segno.make(uri, error="m").svg_data_uri(scale=4, border=4),
        secret=_group(user.totp_secret or ""),
    )
    return page, status


# --- sign-out ---------------------------------------------------------------------------------


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the session here and every other session of the account (B3); CSRF-checked."""
    user = _signed_in_staff()
    if user is not None:
        db = get_session()
        staff_accounts.logout(db, user, now())
        db.commit()
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You are signed out."), "success")
    response = redirect(url_for("auth.login"), code=303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
