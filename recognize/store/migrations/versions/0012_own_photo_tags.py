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

# the search index (0004) gains the user, and a user's tombstones are found by user
INDEXES = {'photo_tags': ('tag_id,photo_id,confidence', 'tag_id,photo_id,confidence,user_id'),
           'tag_removals': (None, 'user_id')}
NAMES = {'photo_tags': 'ix_photo_tags_search', 'tag_removals': 'ix_tag_removals_user_id'}


def _indexes(table: str, version: int) -> list[str]:
    columns = INDEXES[table][version]
    return [f'{NAMES[table]}={columns}'] if columns else []


def upgrade() -> None:
    drop_indexes('photo_tags', _indexes('photo_tags', 0))
    with op.batch_alter_table('photo_tags', recreate='always') as batch:
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=False, server_default='0'))
        batch.drop_constraint('pk_photo_tags', type_='primary')
        batch.create_primary_key('pk_photo_tags', ['photo_id', 'tag_id', 'user_id'])
    # a user's own tags were put on by that user
    op.execute("UPDATE photo_tags SET user_id = (SELECT tags.user_id FROM tags WHERE "
               "tags.id = photo_tags.tag_id) WHERE tag_id IN (SELECT id FROM tags WHERE "
               "kind = 'user' AND user_id IS NOT NULL)")
    create_indexes('photo_tags', _indexes('photo_tags', 1))
    create_indexes('tag_removals', _indexes('tag_removals', 1))


def downgrade() -> None:
    drop_indexes('tag_removals', _indexes('tag_removals', 1))
    drop_indexes('photo_tags', _indexes('photo_tags', 1))
    op.execute("DELETE FROM photo_tags WHERE user_id <> 0 AND EXISTS (SELECT 1 FROM photo_tags "
               "AS o WHERE o.photo_id = photo_tags.photo_id AND o.tag_id = photo_tags.tag_id "
               "AND o.user_id < photo_tags.user_id)")
    with op.batch_alter_table('photo_tags', recreate='always') as batch:
        batch.drop_constraint('pk_photo_tags', type_='primary')
        batch.create_primary_key('pk_photo_tags', ['photo_id', 'tag_id'])
        batch.drop_column('user_id')
    create_indexes('photo_tags', _indexes('photo_tags', 0))
