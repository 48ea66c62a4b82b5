"""The Art. 30 register for the privacy officer: controller facts, purposes, recipients, retention
rules, and publishing the register as a new version of the public privacy policy.

The forms only carry the values; ``app.services.register_editor`` checks them all and says what is
wrong field by field, so a page and a test see the same rules. Nothing changes unless every value
is right. A webhook secret is generated on the server and shown once, on the page that answers the
save (not after a redirect, so it never travels in the session cookie).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from app.clock import now, today
from app.core.permissions import Permission
from app.db import get_session
from app.i18n import current_language, localized
from app.mail import outbox
from app.models import (
    LegalBasis,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    RetentionTrigger,
)
from app.services import policy, register_editor
from app.services.errors import RuleError
from app.services.register_editor import COUNTRY_CODES, InvalidRegisterData, country_name
from app.staff import bp
from app.staff.access import current_staff, require
from app.staff.intake_forms import DateInputField

# --- names ------------------------------------------------------------------------------------

LEGAL_BASIS_LABELS: dict[LegalBasis, LazyString] = {
    LegalBasis.CONSENT: _l("Consent (Art. 6(1)(a))"),
    LegalBasis.CONTRACT: _l("Contract (Art. 6(1)(b))"),
    LegalBasis.LEGAL_OBLIGATION: _l("Legal obligation (Art. 6(1)(c))"),
    LegalBasis.LEGITIMATE_INTEREST: _l("Legitimate interest (Art. 6(1)(f))"),
}

RECIPIENT_KIND_LABELS: dict[RecipientKind, LazyString] = {
    RecipientKind.PROCESSOR: _l("Processor: processes the data on our instructions"),
    RecipientKind.CUSTOMER_SYSTEM: _l("A customer's system: receives leads and booked meetings"),
    RecipientKind.AUTHORITY: _l("Authority: receives data when the law requires it"),
}

TRIGGER_LABELS: dict[RetentionTrigger, LazyString] = {
    RetentionTrigger.ASSIGNMENT_END: _l("The end of the assignment the person was contacted for"),
    RetentionTrigger.LAST_CONTACT: _l("The last contact with the person"),
    RetentionTrigger.CONTRACT_END: _l("The end of the contract"),
    RetentionTrigger.FISCAL_YEAR_END: _l(
        "The end of the calendar year in which the financial year ended"
    ),
    RetentionTrigger.COLLECTED: _l("When the data were collected"),
    RetentionTrigger.WITHDRAWAL: _l("The withdrawal of the consent"),
    RetentionTrigger.CASE_CLOSED: _l("The closing of the case"),
}


def _options(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(key.value, label) for key, label in labels.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- forms: values only; the service checks them ----------------------------------------------


class ControllerForm(FlaskForm):
    name = StringField(_l("Name"))
    org_number = StringField(_l("Organisation number"))
    street = StringField(_l("Street address"))
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))
    country = StringField(_l("Country"))
    email = EmailField(_l("Contact e-mail address"))
    dpo_email = EmailField(_l("E-mail address for data protection questions (optional)"))
    phone = StringField(_l("Phone (optional)"))
    website = StringField(_l("Website (optional)"))


class PurposeForm(FlaskForm):
    name_sv = StringField(_l("Name in Swedish"))
    name_en = StringField(_l("Name in English"))
    description_sv = TextAreaField(_l("Description in Swedish"))
    description_en = TextAreaField(_l("Description in English"))
    legal_basis = RadioField(
        _l("Legal basis"), choices=_options(LEGAL_BASIS_LABELS), validate_choice=False
    )
    interest_sv = TextAreaField(_l("The legitimate interest, in Swedish"))
    interest_en = TextAreaField(_l("The legitimate interest, in English"))
    categories = MultiCheckboxField(_l("Categories of data"), validate_choice=False)


class RecipientForm(FlaskForm):
    name = StringField(_l("Name"))
    kind = RadioField(
        _l("Kind of recipient"), choices=_options(RECIPIENT_KIND_LABELS), validate_choice=False
    )
    service_sv = StringField(_l("What they do with the data, in Swedish"))
    service_en = StringField(_l("What they do with the data, in English"))
    country = SelectField(_l("Country where the data are processed"), validate_choice=False)
    safeguard_sv = TextAreaField(_l("Safeguard for the transfer, in Swedish"))
    safeguard_en = TextAreaField(_l("Safeguard for the transfer, in English"))
    contact_email = EmailField(_l("Contact e-mail address for notices (optional)"))
    webhook_url = StringField(_l("Webhook address for notices (optional)"))
    active = BooleanField(
        _l("Active: listed in the policy and told about corrections and erasures")
    )


class RuleForm(FlaskForm):
    name_sv = StringField(_l("Name in Swedish"))
    name_en = StringField(_l("Name in English"))
    months = StringField(_l("Months kept"), render_kw={"inputmode": "numeric"})
    trigger = RadioField(
        _l("The period counts from"), choices=_options(TRIGGER_LABELS), validate_choice=False
    )
    description_sv = TextAreaField(_l("What the data are and how long they are kept, in Swedish"))
    description_en = TextAreaField(_l("What the data are and how long they are kept, in English"))
    legal_reference = StringField(_l("Statutory requirement (optional)"))


class PublishForm(FlaskForm):
    effective_from = DateInputField(
        _l("Takes effect on"),
        invalid_value_message=_l("Enter the date as YYYY-MM-DD, for example 2027-01-01."),
    )
    summary_sv = TextAreaField(_l("What changes, in Swedish"))
    summary_en = TextAreaField(_l("What changes, in English"))


def _show(form: FlaskForm, errors: dict[str, str]) -> None:
    """Put the service's messages on the form's fields (the error summary links to them)."""
    for name, message in errors.items():
        if name in form._fields:
            form[name].errors = [message]
        else:
            form.form_errors.append(message)


def _row(model: type[Any], item_id: int) -> Any:
    row = get_session().get(model, item_id)
    if row is None:
        abort(404)
    return row


def _country_choices() -> list[SelectChoice]:
    language = current_language()
    names = sorted(
        ((code, country_name(code, language)) for code in COUNTRY_CODES),
        key=lambda pair: pair[1].casefold(),
    )
    return [SelectChoice("", _("Choose a country"))] + [
        SelectChoice(code, f"{name} ({code})") for code, name in names
    ]


def _category_choices() -> list[SelectChoice]:
    rules = register_editor.retention_rules(get_session())
    language = current_language()
    return [SelectChoice(rule.category, getattr(rule, f"name_{language}")) for rule in rules]


def _status(form: FlaskForm) -> int:
    return 400 if form.is_submitted() else 200


def _saved(changes: dict[str, Any], done: str) -> None:
    flash(done if changes else _("Nothing was changed."), "success")


# --- the register page ------------------------------------------------------------------------


def _register_page(publish_form: PublishForm | None = None, status: int = 200) -> Any:
    db = get_session()
    day = today()
    if publish_form is None:
        publish_form = PublishForm()
    return render_template(
        "staff/register.html",
        controller=register_editor.controller(db),
        purposes=register_editor.purposes(db),
        recipients=register_editor.recipients(db),
        rules=register_editor.retention_rules(db),
        rule_names={rule.category: rule for rule in register_editor.retention_rules(db)},
        history=policy.history(db, day),
        changed=policy.register_changed(db),
        earliest=policy.earliest_effective(db, day),
        publish_form=publish_form,
        country_name=country_name,
        LEGAL_BASIS_LABELS=LEGAL_BASIS_LABELS,
        RECIPIENT_KIND_LABELS=RECIPIENT_KIND_LABELS,
        TRIGGER_LABELS=TRIGGER_LABELS,
        outside_eea=register_editor.outside_eea,
    ), status


@bp.get("/register")
@require(Permission.EDIT_REGISTER)
def register() -> Any:
    return _register_page()


# --- controller -------------------------------------------------------------------------------


@bp.route("/register/controller", methods=["GET", "POST"])
@require(Permission.EDIT_REGISTER)
def register_controller() -> Any:
    db = get_session()
    if request.method == "GET":
        form = ControllerForm(obj=register_editor.controller(db))
    else:
        form = ControllerForm()
    if form.validate_on_submit():
        moment = now()
        try:
            changes = register_editor.update_controller(
                db, form.data, by=current_staff(), now=moment
            )
        except InvalidRegisterData as error:
            outbox.rollback(db)
            _show(form, error.errors)
        else:
            outbox.commit(db, moment)
            _saved(changes, _("The controller's details are saved."))
            return redirect(url_for("staff.register") + "#controller-heading", code=303)
    return render_template("staff/register_controller.html", form=form), _status(form)


# --- purposes ---------------------------------------------------------------------------------


def _purpose_form(purpose: Purpose | None) -> PurposeForm:
    form = PurposeForm(obj=purpose) if request.method == "GET" else PurposeForm()
    form.categories.choices = _category_choices()
    return form


def _purpose_page(purpose: Purpose | None) -> Any:
    db = get_session()
    form = _purpose_form(purpose)
    if form.validate_on_submit():
        moment = now()
        try:
            saved, changes = register_editor.save_purpose(
                db, purpose, form.data, by=current_staff(), now=moment
            )
        except InvalidRegisterData as error:
            outbox.rollback(db)
            _show(form, error.errors)
        else:
            outbox.commit(db, moment)
            _saved(changes, _("The purpose “%(name)s” is saved.", name=localized(saved, "name")))
            return redirect(url_for("staff.register") + "#purposes-heading", code=303)
    in_use = purpose is not None and register_editor.purpose_in_use(db, purpose)
    return render_template(
        "staff/register_purpose.html", form=form, purpose=purpose, in_use=in_use
    ), _status(form)


@bp.route("/register/purposes/new", methods=["GET", "POST"])
@require(Permission.EDIT_REGISTER)
def register_purpose_new() -> Any:
    return _purpose_page(None)


@bp.route("/register/purposes/<int:item_id>", methods=["GET", "POST"])
@require(Permission.EDIT_REGISTER)
def register_purpose(item_id: int) -> Any:
    return _purpose_page(_row(Purpose, item_id))


@bp.post("/register/purposes/<int:item_id>/delete")
@require(Permission.EDIT_REGISTER)
def register_purpose_delete(item_id: int) -> BaseResponse:
    purpose = _row(Purpose, item_id)
    name = localized(purpose, "name")
    return _remove(
        lambda db, moment: register_editor.delete_purpose(
            db, purpose, by=current_staff(), now=moment
        ),
        _("The purpose “%(name)s” is removed.", name=name),
        url_for("staff.register_purpose", item_id=item_id),
        "#purposes-heading",
    )


# --- recipients -------------------------------------------------------------------------------


def _recipient_form(recipient: Recipient | None, *, fresh: bool = False) -> RecipientForm:
    if fresh:
        form = RecipientForm(formdata=None, obj=recipient)
    elif request.method == "GET":
        form = RecipientForm(obj=recipient, data=None if recipient else {"active": True})
    else:
        form = RecipientForm()
    form.country.choices = _country_choices()
    return form


def _recipient_template(
    form: RecipientForm, recipient: Recipient | None, secret: str | None = None
) -> str:
    in_use = recipient is not None and register_editor.recipient_in_use(get_session(), recipient)
    return render_template(
        "staff/register_recipient.html",
        form=form,
        recipient=recipient,
        secret=secret,
        in_use=in_use,
        eu_eea=sorted(register_editor.EU_EEA),
    )


def _recipient_page(recipient: Recipient | None) -> Any:
    db = get_session()
    form = _recipient_form(recipient)
    if form.validate_on_submit():
        moment = now()
        try:
            saved, changes, secret = register_editor.save_recipient(
                db, recipient, form.data, by=current_staff(), now=moment
            )
        except InvalidRegisterData as error:
            outbox.rollback(db)
            _show(form, error.errors)
        else:
            outbox.commit(db, moment)
            _saved(changes, _("The recipient “%(name)s” is saved.", name=saved.name))
            if secret is None:
                return redirect(url_for("staff.register") + "#recipients-heading", code=303)
            # The secret is shown on this answer only: it is not kept anywhere it could be read.
            return _recipient_template(_recipient_form(saved, fresh=True), saved, secret)
    return _recipient_template(form, recipient), _status(form)


@bp.route("/register/recipients/new", methods=["GET", "POST"])
@require(Permission.EDIT_REGISTER)
def register_recipient_new() -> Any:
    return _recipient_page(None)


@bp.route("/register/recipients/<int:item_id>", methods=["GET", "POST"])
@require(Permission.EDIT_REGISTER)
def register_recipient(item_id: int) -> Any:
    return _recipient_page(_row(Recipient, item_id))


@bp.post("/register/recipients/<int:item_id>/secret")
@require(Permission.EDIT_REGISTER)
def register_recipient_secret(item_id: int) -> Any:
    recipient = _row(Recipient, item_id)
    db = get_session()
    moment = now()
    try:
        secret = register_editor.rotate_secret(db, recipient, by=current_staff(), now=moment)
    except RuleError as error:
        outbox.rollback(db)
        flash(error.message, "error")
        return redirect(url_for("staff.register_recipient", item_id=item_id), code=303)
    outbox.commit(db, moment)
    flash(
        _(
            "A new secret is made for “%(name)s”. The old one no longer works: give the new one "
            "to the recipient now.",
            name=recipient.name,
        ),
        "success",
    )
    return _recipient_template(_recipient_form(recipient, fresh=True), recipient, secret)


@bp.post("/register/recipients/<int:item_id>/delete")
@require(Permission.EDIT_REGISTER)
def register_recipient_delete(item_id: int) -> BaseResponse:
    recipient = _row(Recipient, item_id)
    db = get_session()
    moment = now()
    name = recipient.name
    deleted = register_editor.delete_recipient(db, recipient, by=current_staff(), now=moment)
    outbox.commit(db, moment)
    if deleted:
        flash(_("The recipient “%(name)s” is removed.", name=name), "success")
    else:
        flash(
            _(
                "“%(name)s” has received data or notices that our records refer to, so it is "
                "kept but deactivated: it is no longer listed in the policy or sent notices.",
                name=name,
            ),
            "success",
        )
    return redirect(url_for("staff.register") + "#recipients-heading", code=303)


# --- retention rules --------------------------------------------------------------------------


def _rule_page(rule: RetentionRule | None) -> Any:
    db = get_session()
    form = RuleForm(obj=rule) if request.method == "GET" else RuleForm()
    if form.validate_on_submit():
        moment = now()
        try:
            saved, changes = register_editor.save_rule(
                db, rule, form.data, by=current_staff(), now=moment
            )
        except InvalidRegisterData as error:
            outbox.rollback(db)
            _show(form, error.errors)
        else:
            outbox.commit(db, moment)
            _saved(
                changes, _("The retention rule “%(name)s” is saved.", name=localized(saved, "name"))
            )
            return redirect(url_for("staff.register") + "#retention-heading", code=303)
    using = register_editor.purposes_using(db, rule.category) if rule is not None else []
    built_in = rule is not None and rule.category in register_editor.BUILT_IN_CATEGORIES
    page = render_template(
        "staff/register_rule.html", form=form, rule=rule, using=using, built_in=built_in
    )
    return page, _status(form)


@bp.route("/register/retention/new", methods=["GET", "POST"])
@require(Permission.EDIT_REGISTER)
def register_rule_new() -> Any:
    return _rule_page(None)


@bp.route("/register/retention/<int:item_id>", methods=["GET", "POST"])
@require(Permission.EDIT_REGISTER)
def register_rule(item_id: int) -> Any:
    return _rule_page(_row(RetentionRule, item_id))


@bp.post("/register/retention/<int:item_id>/delete")
@require(Permission.EDIT_REGISTER)
def register_rule_delete(item_id: int) -> BaseResponse:
    rule = _row(RetentionRule, item_id)
    name = localized(rule, "name")
    return _remove(
        lambda db, moment: register_editor.delete_rule(db, rule, by=current_staff(), now=moment),
        _("The retention rule “%(name)s” is removed.", name=name),
        url_for("staff.register_rule", item_id=item_id),
        "#retention-heading",
    )


def _remove(apply: Any, done: str, back: str, anchor: str) -> BaseResponse:
    db = get_session()
    moment = now()
    try:
        apply(db, moment)
    except RuleError as error:
        outbox.rollback(db)
        flash(error.message, "error")
        return redirect(back, code=303)
    outbox.commit(db, moment)
    flash(done, "success")
    return redirect(url_for("staff.register") + anchor, code=303)


# --- publishing the policy --------------------------------------------------------------------


@bp.post("/register/policy")
@require(Permission.EDIT_REGISTER)
def register_publish() -> Any:
    form = PublishForm()
    if not form.validate_on_submit():
        return _register_page(form, 400)
    db = get_session()
    moment = now()
    try:
        version = policy.publish(
            db,
            effective_from=form.effective_from.data,
            summary_sv=form.summary_sv.data,
            summary_en=form.summary_en.data,
            by=current_staff(),
            now=moment,
            today=today(),
        )
    except InvalidRegisterData as error:
        outbox.rollback(db)
        _show(form, error.errors)
        return _register_page(form, 400)
    except RuleError as error:
        outbox.rollback(db)
        form.form_errors.append(error.message)
        return _register_page(form, 400)
    outbox.commit(db, moment)
    flash(
        _(
            "Version %(number)d of the privacy policy is published. It takes effect on "
            "%(date)s; people who asked to hear about changes are e-mailed.",
            number=version.number,
            date=format_date(version.effective_from, "long"),
        ),
        "success",
    )
    return redirect(url_for("staff.register") + "#policy-heading", code=303)
