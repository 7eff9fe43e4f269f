"""state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:56:06.852946
"""
from __future__ import annotations

from recognize.store.migrations.helpers import create_table, drop_table


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table('state', 'key:str128 value:text', pk='key')


def downgrade() -> None:
    drop_table('state')
