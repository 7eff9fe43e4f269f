"""photo tags per user: a tag a user puts on by hand is that user's (photo_tags.user_id; 0 is
everyone who sees the photo), and a tag a user takes off stays on for the other users

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 21:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from recognize.store.migrations.helpers import create_indexes, drop_indexes

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

SEARCH = ['ix_photo_tags_search=tag_id,photo_id,confidence']
SEARCH_OWN = ['ix_photo_tags_search=tag_id,photo_id,confidence,user_id']
REMOVALS = ['ix_tag_removals_user_id=user_id']


def upgrade() -> None:
    drop_indexes('photo_tags', SEARCH)
    with op.batch_alter_table('photo_tags', recreate='always') as batch:
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=False, server_default='0'))
        batch.drop_constraint('pk_photo_tags', type_='primary')
        batch.create_primary_key('pk_photo_tags', ['photo_id', 'tag_id', 'user_id'])
    # a user's own tags were put on by that user
    op.execute("UPDATE photo_tags SET user_id = (SELECT tags.user_id FROM tags WHERE "
               "tags.id = photo_tags.tag_id) WHERE tag_id IN (SELECT id FROM tags WHERE "
               "kind = 'user' AND user_id IS NOT NULL)")
    create_indexes('photo_tags', SEARCH_OWN)
    create_indexes('tag_removals', REMOVALS)


def downgrade() -> None:
    drop_indexes('tag_removals', REMOVALS)
    drop_indexes('photo_tags', SEARCH_OWN)
    op.execute("DELETE FROM photo_tags WHERE user_id <> 0 AND EXISTS (SELECT 1 FROM photo_tags "
               "AS o WHERE o.photo_id = photo_tags.photo_id AND o.tag_id = photo_tags.tag_id "
               "AND o.user_id < photo_tags.user_id)")
    with op.batch_alter_table('photo_tags', recreate='always') as batch:
        batch.drop_constraint('pk_photo_tags', type_='primary')
        batch.create_primary_key('pk_photo_tags', ['photo_id', 'tag_id'])
        batch.drop_column('user_id')
    create_indexes('photo_tags', SEARCH)
