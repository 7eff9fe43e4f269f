"""tag removals: a classifier tag the user took off a photo stays off

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:30:00
"""
from __future__ import annotations

from recognize.store.migrations.helpers import create_table, drop_table


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('tag_removals', 'photo_id:int tag_id:int user_id:int removed_at:time',
                 pk='photo_id tag_id user_id', fks=['photo_id>photos', 'tag_id>tags', 'user_id>users'],
                 named=False)


def downgrade() -> None:
    drop_table('tag_removals')
