"""hidden persons and persons kept apart (rejected merge suggestions)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:15:00
"""
from __future__ import annotations

from recognize.store.migrations.helpers import add_column, create_table, drop_column, drop_table


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column('persons', 'hidden:bool', server_default='0')
    create_table('persons_apart', 'person_id:int other_id:int created_at:time', pk='person_id other_id',
                 fks=['other_id>persons', 'person_id>persons'], indexes=['other_id'])


def downgrade() -> None:
    drop_table('persons_apart', ['other_id'])
    drop_column('persons', 'hidden')
