"""Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.cli import alembic_config
from app.db import Base
from tests.conftest import make_app


def _app(tmp_path: Path):
    return make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}", create_tables=False)


class TestMigrations:
    def test_upgrade_to_head_matches_the_models(self, tmp_path: Path) -> None:
        app = _app(tmp_path)
        engine = app.extensions["db.engine"]
        command.upgrade(alembic_config(app), "head")
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []

    def test_downgrade_to_base_removes_every_table(self, tmp_path: Path) -> None:
        app = _app(tmp_path)
        engine = app.extensions["db.engine"]
        config = alembic_config(app)
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    def test_upgraded_approvals_take_erasure_plans(self, tmp_path: Path) -> None:
        """0004 widens the kind's CHECK constraint, which autogenerate cannot see."""
        from sqlalchemy import text

        app = _app(tmp_path)
        engine = app.extensions["db.engine"]
        command.upgrade(alembic_config(app), "head")
        with engine.connect() as connection:
            sql = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'approvals'")
            )
        assert "'erasure'" in sql
        assert "'objection'" in sql
