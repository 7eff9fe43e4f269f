"""hidden persons and persons kept apart (rejected merge suggestions)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden', sa.Boolean(), server_default='0', nullable=False))
    op.create_table(
        'persons_apart',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('other_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['other_id'], ['persons.id'],
                                name=op.f('fk_persons_apart_other_id_persons'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                                name=op.f('fk_persons_apart_person_id_persons'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'other_id', name=op.f('pk_persons_apart')),
    )
    op.create_index(op.f('ix_persons_apart_other_id'), 'persons_apart', ['other_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_persons_apart_other_id'), table_name='persons_apart')
    op.drop_table('persons_apart')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('hidden')
