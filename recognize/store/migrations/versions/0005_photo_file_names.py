"""photo file names

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:06:38.630794
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from recognize.store.migrations.helpers import add_column, create_indexes, drop_column, drop_indexes


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column('photos', 'name:str255', server_default='')
    create_indexes('photos', ['name'])
    # fill in the file names of photos indexed before this column existed
    conn = op.get_bind()
    photos = sa.table('photos', sa.column('id', sa.Integer), sa.column('path', sa.Text),
                      sa.column('name', sa.String))
    rows = conn.execute(sa.select(photos.c.id, photos.c.path)).all()
    for start in range(0, len(rows), 1000):
        conn.execute(
            photos.update().where(photos.c.id == sa.bindparam('pid')).values(name=sa.bindparam('n')),
            [{'pid': pid, 'n': path.rsplit('/', 1)[-1][:255]} for pid, path in rows[start:start + 1000]],
        )


def downgrade() -> None:
    drop_indexes('photos', ['name'])
    drop_column('photos', 'name')
