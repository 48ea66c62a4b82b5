"""reporting: closing figures on the case row, and the indexes of the dashboard and the register

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:30:00.000000

Cases closed before this revision get their closing figures computed here, with the same rules
``processing.transition`` applies from now on (written out again, so that this file keeps doing
what it did whatever the application code becomes): the Stockholm date of ``closed_at``, the
calendar days since ``received_on``, and whether that date was on or before ``due_on`` (none for a
withdrawn case). The time zone is worked out in Python, so the same UPDATE runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CHUNK = 5000

INDEXES = {
    'ix_subject_requests_received_on': ['received_on'],
    'ix_subject_requests_received_on_type': ['received_on', 'type'],
    'ix_subject_requests_closed_on_closed_on_time': ['closed_on', 'closed_on_time'],
    'ix_subject_requests_closed_on_type_on_time_days': [
        'closed_on', 'type', 'closed_on_time', 'days_to_close'
    ],
    'ix_subject_requests_extension_notified_at': ['extension_notified_at'],
    'ix_subject_requests_refusal_notified_at': ['refusal_notified_at'],
}


def upgrade() -> None:
    with op.batch_alter_table('subject_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('days_to_close', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_on_time', sa.Boolean(), nullable=True))
    _backfill()
    with op.batch_alter_table('subject_requests', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def _backfill() -> None:
    """The closing figures of every case already closed, a chunk of rows at a time."""
    requests = sa.table(
        'subject_requests',
        sa.column('id', sa.Integer()),
        sa.column('status', sa.String()),
        sa.column('received_on', sa.Date()),
        sa.column('due_on', sa.Date()),
        sa.column('closed_at', app.db.UTCDateTime()),
        sa.column('closed_on', sa.Date()),
        sa.column('days_to_close', sa.Integer()),
        sa.column('closed_on_time', sa.Boolean()),
    )
    c = requests.c
    update = (
        sa.update(requests)
        .where(c.id == sa.bindparam('row_id'))
        .values(
            closed_on=sa.bindparam('new_closed_on', type_=sa.Date()),
            days_to_close=sa.bindparam('new_days', type_=sa.Integer()),
            closed_on_time=sa.bindparam('new_on_time', type_=sa.Boolean()),
        )
    )
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(c.id, c.status, c.received_on, c.due_on, c.closed_at)
            .where(c.closed_at.is_not(None), c.id > after)
            .order_by(c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            closed_on = row.closed_at.astimezone(STOCKHOLM).date()
            values.append(
                {
                    'row_id': row.id,
                    'new_closed_on': closed_on,
                    'new_days': (closed_on - row.received_on).days,
                    'new_on_time': None if row.status == 'withdrawn' else closed_on <= row.due_on,
                }
            )
        connection.execute(update, values)
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('subject_requests', schema=None) as batch_op:
        for name in reversed(list(INDEXES)):
            batch_op.drop_index(name)
        batch_op.drop_column('closed_on_time')
        batch_op.drop_column('days_to_close')
        batch_op.drop_column('closed_on')
