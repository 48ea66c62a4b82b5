"""Art. 19 notices without a case: a retention erasure's notices keep the address until sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recipient_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=254), nullable=True))
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Notices without a case cannot stay once every notice must have one.
    op.execute("DELETE FROM recipient_notices WHERE request_id IS NULL")
    with op.batch_alter_table('recipient_notices', schema=None) as batch_op:
        batch_op.alter_column('request_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('address')
