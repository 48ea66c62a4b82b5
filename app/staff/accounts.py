"""Staff accounts, for administrators: list, create, change role, disable or enable, reset the
authenticator, unlock. Administrators see no case data here, only the accounts (security.md C2).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app.auth.forms import NewAccountForm, RoleForm
from app.clock import now
from app.core.permissions import Permission, StaffRole
from app.db import get_session
from app.labels import ROLE_LABELS
from app.models import StaffUser
from app.services import staff_accounts
from app.services.staff_accounts import AccountError, AccountExistsError
from app.staff import bp
from app.staff.access import current_staff, require


def _account(staff_id: int) -> StaffUser:
    user = get_session().get(StaffUser, staff_id)
    if user is None:
        abort(404)
    return user


def _refusal(error: AccountError) -> str:
    if isinstance(error, staff_accounts.SelfChangeError):
        return _("You cannot change the role or status of your own account.")
    if isinstance(error, staff_accounts.LastAdminError):
        return _("There must always be at least one active administrator.")
    return _("The change could not be made.")


@bp.get("/accounts")
@require(Permission.MANAGE_STAFF)
def accounts() -> str:
    return render_template(
        "staff/accounts.html",
        accounts=staff_accounts.list_accounts(get_session()),
        now=now(),
        me=current_staff(),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@require(Permission.MANAGE_STAFF)
def new_account() -> str | tuple[str, int] | BaseResponse:
    form = NewAccountForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            user = staff_accounts.create_account(
                db,
                email=form.email.data,
                name=form.name.data,
                role=StaffRole(form.role.data),
                password=form.password.data,
                now=now(),
                by=current_staff(),
            )
        except AccountExistsError:
            form.email.errors = [_("There is already an account with this e-mail address.")]
        except AccountError:
            form.email.errors = [_("The account could not be created.")]
        else:
            db.commit()
            flash(
                _(
                    "The account of %(name)s is created. Give them the initial password in "
                    "person or by phone; at their first sign-in they set up their "
                    "authenticator app.",
                    name=user.name,
                ),
                "success",
            )
            return redirect(url_for("staff.account", staff_id=user.id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/accounts_new.html", form=form), status


def _account_page(
    user: StaffUser, role_form: RoleForm | None = None, status: int = 200
) -> tuple[str, int]:
    if role_form is None:
        role_form = RoleForm(data={"role": user.role.value})
    page = render_template(
        "staff/accounts_detail.html",
        account=user,
        role_form=role_form,
        now=now(),
        me=current_staff(),
    )
    return page, status


@bp.get("/accounts/<int:staff_id>")
@require(Permission.MANAGE_STAFF)
def account(staff_id: int) -> tuple[str, int]:
    return _account_page(_account(staff_id))


@bp.post("/accounts/<int:staff_id>/role")
@require(Permission.MANAGE_STAFF)
def account_role(staff_id: int) -> tuple[str, int] | BaseResponse:
    user = _account(staff_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _account_page(user, form, 400)
    role = StaffRole(form.role.data)
    return _change(
        user,
        lambda db, by, moment: staff_accounts.change_role(db, user, role, by=by, now=moment),
        _("The role of %(name)s is now: %(role)s.", name=user.name, role=_role_label(role)),
    )


@bp.post("/accounts/<int:staff_id>/disable")
@require(Permission.MANAGE_STAFF)
def account_disable(staff_id: int) -> BaseResponse:
    user = _account(staff_id)
    return _change(
        user,
        lambda db, by, moment: staff_accounts.disable(db, user, by=by, now=moment),
        _("The account of %(name)s is disabled and its sessions have ended.", name=user.name),
    )


@bp.post("/accounts/<int:staff_id>/enable")
@require(Permission.MANAGE_STAFF)
def account_enable(staff_id: int) -> BaseResponse:
    user = _account(staff_id)
    return _change(
        user,
        lambda db, by, moment: staff_accounts.enable(db, user, by=by, now=moment),
        _("The account of %(name)s is enabled.", name=user.name),
    )


@bp.post("/accounts/<int:staff_id>/reset-totp")
@require(Permission.MANAGE_STAFF)
def account_reset_totp(staff_id: int) -> BaseResponse:
    user = _account(staff_id)
    return _change(
        user,
        lambda db, by, moment: staff_accounts.reset_totp(db, user, by=by, now=moment),
        _(
            "The authenticator of %(name)s is reset: they set up a new one at their next "
            "sign-in, and their recovery codes no longer work.",
            name=user.name,
        ),
    )


@bp.post("/accounts/<int:staff_id>/unlock")
@require(Permission.MANAGE_STAFF)
def account_unlock(staff_id: int) -> BaseResponse:
    user = _account(staff_id)
    return _change(
        user,
        lambda db, by, moment: staff_accounts.unlock(db, user, by=by, now=moment),
        _("The account of %(name)s is unlocked.", name=user.name),
    )


def _role_label(role: StaffRole) -> str:
    return str(ROLE_LABELS[role])


def _change(
    user: StaffUser, apply: Callable[[Session, StaffUser, datetime], None], done: str
) -> BaseResponse:
    """Make one change as the signed-in administrator, then back to the account's page."""
    db = get_session()
    try:
        apply(db, current_staff(), now())
    except AccountError as error:
        db.rollback()
        flash(_refusal(error), "error")
    else:
        db.commit()
        flash(done, "success")
    return redirect(url_for("staff.account", staff_id=user.id), code=303)
