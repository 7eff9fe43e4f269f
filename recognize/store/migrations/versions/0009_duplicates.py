"""duplicates: each photo's near-duplicate code, and the groups the duplicates job found

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('near_code', sa.String(length=128), nullable=True))
    op.create_table(
        'duplicate_members',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('photo_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'photo_id'),
    )


def downgrade() -> None:
    op.drop_table('duplicate_members')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_column('near_code')
