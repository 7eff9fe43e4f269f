"""api tokens (and the search index on photo_tags)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 01:59:00.455700
"""
from __future__ import annotations

from recognize.store.migrations.helpers import create_indexes, create_table, drop_indexes, drop_table


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


SEARCH = ['ix_photo_tags_search=tag_id,photo_id,confidence']


def upgrade() -> None:
    create_table('api_tokens', 'id:int user_id:int name:str128 digest:str64 prefix:str16 created_at:time '
                 'last_used_at:time?', fks=['user_id>users'], unique='digest', indexes=['user_id'])
    create_indexes('photo_tags', SEARCH)


def downgrade() -> None:
    drop_indexes('photo_tags', SEARCH)
    drop_table('api_tokens', ['user_id'])
