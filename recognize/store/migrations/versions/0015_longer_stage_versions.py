"""photo_stages.version holds up to 255 characters (a stage made of two models, as the text
stage's detector and recogniser, has a version longer than 64). SQLite does not enforce a
VARCHAR's length, so only PostgreSQL's column changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 11:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _version_length(length: int) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('photo_stages', 'version', type_=sa.String(length),
                        existing_nullable=False)


def upgrade() -> None:
    _version_length(255)


def downgrade() -> None:
    _version_length(64)
