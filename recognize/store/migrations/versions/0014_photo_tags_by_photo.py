"""photo_tags by photo with the confidence (a search candidate's rows from the index alone);
the index on tag_id alone goes (the search and rank indexes start with tag_id)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 22:00:00
"""
from __future__ import annotations

from recognize.store.migrations.helpers import create_indexes, drop_indexes


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


BY_PHOTO = ['ix_photo_tags_photo=photo_id,tag_id,confidence,user_id']
TAG_ID = ['tag_id']


def upgrade() -> None:
    create_indexes('photo_tags', BY_PHOTO)
    drop_indexes('photo_tags', TAG_ID)


def downgrade() -> None:
    create_indexes('photo_tags', TAG_ID)
    drop_indexes('photo_tags', BY_PHOTO)
