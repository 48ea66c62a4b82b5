"""Every staff URL checks the role on the server (security.md C1, C2).

The table names the permission each staff endpoint needs; a new staff route that is not in the
table fails here, so no route can ship without a decision about who may use it.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.core.permissions import Permission, StaffRole, has_permission
from app.models import StaffUser
from tests.helpers import file_request, reference_from, verify
from tests.smtp import Mailbox
from tests.staff import make_staff, sign_in_as

W, A, R, M = (
    Permission.WORK_CASES,
    Permission.APPROVE,
    Permission.READ_AUDIT,
    Permission.MANAGE_STAFF,
)
REQUIRED: dict[str, Permission] = {
    "staff.queue": W,
    "staff.bulk_assign": W,
    "staff.intake": W,
    "staff.case": W,
    "staff.case_ask": W,
    "staff.case_assign": W,
    "staff.case_complete": W,
    "staff.case_extend": W,
    "staff.case_message": W,
    "staff.case_note": W,
    "staff.case_refuse": W,
    "staff.case_resume": W,
    "staff.case_start": W,
    "staff.case_rectify": W,
    "staff.case_erasure_plan": W,
    "staff.case_decide": A,
    "staff.case_restrict": W,
    "staff.case_announce_lift": W,
    "staff.case_lift_restriction": W,
    "staff.case_objection": W,
    "staff.case_notice_resend": W,
    "staff.case_notice_confirm": W,
    "staff.case_notice_not_notified": A,
    "staff.package_build": W,
    "staff.package_release": W,
    "staff.package_preview": W,
    "staff.package_file": W,
    "staff.audit_log": R,
    "staff.register": Permission.EDIT_REGISTER,
    "staff.register_controller": Permission.EDIT_REGISTER,
    "staff.register_purpose_new": Permission.EDIT_REGISTER,
    "staff.register_purpose": Permission.EDIT_REGISTER,
    "staff.register_purpose_delete": Permission.EDIT_REGISTER,
    "staff.register_recipient_new": Permission.EDIT_REGISTER,
    "staff.register_recipient": Permission.EDIT_REGISTER,
    "staff.register_recipient_secret": Permission.EDIT_REGISTER,
    "staff.register_recipient_delete": Permission.EDIT_REGISTER,
    "staff.register_rule_new": Permission.EDIT_REGISTER,
    "staff.register_rule": Permission.EDIT_REGISTER,
    "staff.register_rule_delete": Permission.EDIT_REGISTER,
    "staff.register_publish": Permission.EDIT_REGISTER,
    "staff.retention_overview": A,
    "staff.retention_category": A,
    "staff.retention_erase": A,
    "staff.retention_notice_confirm": A,
    "staff.retention_notice_resend": A,
    "staff.retention_notice_not_notified": A,
    "staff.dashboard": Permission.VIEW_DASHBOARD,
    "staff.dashboard_register_csv": Permission.VIEW_DASHBOARD,
    "staff.dashboard_register_pdf": Permission.VIEW_DASHBOARD,
    "staff.accounts": M,
    "staff.new_account": M,
    "staff.account": M,
    "staff.account_disable": M,
    "staff.account_enable": M,
    "staff.account_reset_totp": M,
    "staff.account_role": M,
    "staff.account_unlock": M,
}
SECRET_WORDING = "Jag vill se allt ni har om mig, även anteckningarna från mötet."
SIGN_IN_PAGES = {"auth.login", "auth.totp", "auth.enrol", "auth.logout"}
ROLES = list(StaffRole)


def staff_urls(app: Flask, reference: str, staff_id: int) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every staff route and method."""
    samples = {"reference": reference, "staff_id": staff_id}
    samples.update(item_id=1)  # a row of the register (purpose, recipient, retention rule)
    samples.update(delivery_id=1, file_id=1)
    samples.update(category="technical")  # a category of the register (retention)
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("staff."):
                continue
            url = url_for(rule.endpoint, **{arg: samples[arg] for arg in rule.arguments})
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


@pytest.fixture
def reference(app: Flask, client: FlaskClient, mailbox: Mailbox) -> str:
    verify(client, mailbox, "anna@example.com")
    data = {"scope": "all", "formats": ["pdf"], "message": SECRET_WORDING}
    return reference_from(file_request(client, "access", data))


@pytest.fixture
def accounts(app: Flask, session: Session) -> dict[StaffRole, StaffUser]:
    now = app.extensions["clock"]()
    users = {role: make_staff(session, role, now=now) for role in ROLES}
    session.commit()
    return users


def _call(client: FlaskClient, method: str, url: str) -> int:
    return client.open(url, method=method, data={}).status_code


class TestEveryStaffRouteIsInTheTable:
    def test_no_staff_route_is_left_without_a_required_permission(self, app: Flask) -> None:
        endpoints = {
            r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("staff.")
        }
        assert endpoints == set(REQUIRED)

    def test_sign_in_pages_are_the_only_other_staff_urls(self, app: Flask) -> None:
        others = {
            r.endpoint
            for r in app.url_map.iter_rules()
            if r.rule.startswith("/staff") and not r.endpoint.startswith("staff.")
        }
        assert others == SIGN_IN_PAGES


class TestWithoutStaffLogin:
    def test_anonymous_visitor_is_sent_to_sign_in_from_every_staff_url(
        self, app: Flask, reference: str, accounts: dict[StaffRole, StaffUser]
    ) -> None:
        anonymous = app.test_client()
        for endpoint, method, url in staff_urls(app, reference, accounts[StaffRole.HANDLER].id):
            response = anonymous.open(url, method=method, data={})
            assert response.status_code == 302, (endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/staff/login"), endpoint

    def test_verified_data_subject_gets_nothing_from_any_staff_url(
        self,
        app: Flask,
        client: FlaskClient,
        reference: str,
        accounts: dict[StaffRole, StaffUser],
    ) -> None:
        # ``client`` is the person's own browser, verified for anna@example.com.
        for endpoint, method, url in staff_urls(app, reference, accounts[StaffRole.HANDLER].id):
            response = client.open(url, method=method, data={})
            assert response.status_code == 302, (endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/staff/login"), endpoint
            assert "anna@example.com" not in response.get_data(as_text=True)


class TestRoleMatrix:
    @pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
    def test_each_role_is_refused_exactly_where_it_lacks_the_permission(
        self,
        app: Flask,
        reference: str,
        accounts: dict[StaffRole, StaffUser],
        role: StaffRole,
    ) -> None:
        target = accounts[StaffRole.HANDLER].id
        for endpoint, method, url in staff_urls(app, reference, target):
            # A fresh signed-in client per call: some actions (disable, logout) end sessions.
            status = _call(sign_in_as(app, accounts[role]), method, url)
            if has_permission(role, REQUIRED[endpoint]):
                assert status not in (302, 401, 403), (role, endpoint, method, status)
            else:
                assert status == 403, (role, endpoint, method, status)

    def test_handler_cannot_approve_an_officers_decision(
        self, app: Flask, reference: str, accounts: dict[StaffRole, StaffUser]
    ) -> None:
        handler = sign_in_as(app, accounts[StaffRole.HANDLER])
        response = handler.post(f"/staff/cases/{reference}/decide", data={"approve": "1"})
        assert response.status_code == 403

    def test_forbidden_page_shows_no_case_data(
        self, app: Flask, reference: str, accounts: dict[StaffRole, StaffUser]
    ) -> None:
        admin = sign_in_as(app, accounts[StaffRole.ADMIN])
        response = admin.get(f"/staff/cases/{reference}")
        assert response.status_code == 403
        body = response.get_data(as_text=True)
        assert SECRET_WORDING not in body
        assert "anna@example.com" not in body
