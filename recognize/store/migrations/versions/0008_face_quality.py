"""face quality: why a face is kept out of persons

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00
"""
from __future__ import annotations

from recognize.store.migrations.helpers import add_column, drop_column


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column('faces', 'quality:str32?')


def downgrade() -> None:
    drop_column('faces', 'quality')
