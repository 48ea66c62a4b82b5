"""Rättighetsportalen: the GDPR data-subject request portal of the controller in the register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, database, mail, blueprints, errors, CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )

    from app import cli, db, errors, headers, i18n, labels, logs
    from app.auth import bp as auth_bp
    from app.config import configure
    from app.extensions import babel, csrf, limiter
    from app.mail import outbox
    from app.portal import bp as portal_bp
    from app.portal import context as portal_context
    from app.staff import access as staff_access
    from app.staff import bp as staff_bp

    configure(app, config)
    logs.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    labels.init_app(app)
    db.init_app(app)
    outbox.init_app(app)
    headers.init_app(app)
    portal_context.init_app(app)
    staff_access.init_app(app)
    app.register_blueprint(portal_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    errors.init_app(app)
    cli.init_app(app)
    return app
