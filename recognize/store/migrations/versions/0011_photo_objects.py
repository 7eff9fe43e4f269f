"""photo objects: the boxes the object detector found (COCO class, score, box in 0..1)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'photo_objects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('photo_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=64), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('x0', sa.Float(), nullable=False),
        sa.Column('y0', sa.Float(), nullable=False),
        sa.Column('x1', sa.Float(), nullable=False),
        sa.Column('y1', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['photo_id'], ['photos.id'],
                                name=op.f('fk_photo_objects_photo_id_photos'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_objects')),
    )
    op.create_index(op.f('ix_photo_objects_photo_id'), 'photo_objects', ['photo_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_photo_objects_photo_id'), table_name='photo_objects')
    op.drop_table('photo_objects')
