"""duplicates: each photo's near-duplicate code, and the groups the duplicates job found

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:00:00
"""
from __future__ import annotations

from recognize.store.migrations.helpers import add_column, create_table, drop_column, drop_table


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column('photos', 'near_code:str128?')
    create_table('duplicate_members', 'user_id:int photo_id:int group_id:int', pk='user_id photo_id',
                 fks=['photo_id>photos', 'user_id>users'], named=False)


def downgrade() -> None:
    drop_table('duplicate_members')
    drop_column('photos', 'near_code')
