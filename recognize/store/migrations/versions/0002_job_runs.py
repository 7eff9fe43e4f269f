"""job runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:32:09.715019
"""
from __future__ import annotations

from recognize.store.migrations.helpers import create_table, drop_table


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


JOB_RUNS = dict(
    table='job_runs', indexes=['ix_job_runs_name_started=name,started_at'],
    columns='id:int name:str128 node:str128 started_at:time finished_at:time? status:str16 detail:text?')


def upgrade() -> None:
    create_table(**JOB_RUNS)


def downgrade() -> None:
    drop_table('job_runs', JOB_RUNS['indexes'])
