"""Forms of staff sign-in and of the administrator's account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from app.core.permissions import StaffRole
from app.labels import ROLE_LABELS
from app.services.passwords import MAX_LENGTH, MIN_LENGTH, PasswordProblem, password_problem
from app.services.staff_accounts import InvalidEmailError, normalise_email

PASSWORD_MESSAGES = {
    PasswordProblem.TOO_SHORT: _l(
        "The password must have at least %(min)d characters.", min=MIN_LENGTH
    ),
    PasswordProblem.TOO_LONG: _l(
        "The password may have at most %(max)d characters.", max=MAX_LENGTH
    ),
    PasswordProblem.COMMON: _l(
        "This password is too common or easy to guess. Choose another one, for example a few "
        "unrelated words."
    ),
    PasswordProblem.PERSONAL: _l("The password may not be the e-mail address or the name."),
}


class LoginForm(FlaskForm):
    # No format check on the address: every wrong sign-in gets the same answer (A4).
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
    )


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in StaffRole]


def _known_role(form: FlaskForm, field: Field) -> None:
    # A validator of its own, not DataRequired: that would mark the select ``required``, which
    # HTML allows only with an empty first option.
    if field.data not in {role.value for role in StaffRole}:
        raise ValidationError(_l("Choose a role."))


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=role_choices, validate_choice=False, validators=[_known_role]
    )


class NewAccountForm(RoleForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)],
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter the e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(_l("Enter an initial password."))],
    )

    def validate_email(self, field: Field) -> None:
        try:
            field.data = normalise_email(field.data)
        except InvalidEmailError as exc:
            raise ValidationError(
                _l("Enter a valid e-mail address, for example namn@foretag.se.")
            ) from exc

    def validate_password(self, field: Field) -> None:
        problem = password_problem(
            field.data or "", email=self.email.data or "", name=self.name.data or ""
        )
        if problem is not None:
            raise ValidationError(PASSWORD_MESSAGES[problem])
