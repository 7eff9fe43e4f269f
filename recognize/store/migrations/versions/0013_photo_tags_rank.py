"""photo_tags ranked by confidence per tag (a search term's best rows without sorting them all)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 21:30:00
"""
from __future__ import annotations

from recognize.store.migrations.helpers import create_indexes, drop_indexes


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


RANK = ['ix_photo_tags_rank=tag_id,confidence,photo_id,user_id']


def upgrade() -> None:
    create_indexes('photo_tags', RANK)


def downgrade() -> None:
    drop_indexes('photo_tags', RANK)
