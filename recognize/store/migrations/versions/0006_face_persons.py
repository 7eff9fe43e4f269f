"""per-owner persons: face_persons replaces faces.person_id; shared-person mounts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00
"""
from __future__ import annotations

from alembic import op

from recognize.store.migrations.helpers import column, create_table, drop_table


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

INDEXES = ['person_id', 'ix_face_persons_user_person=user_id,person_id']


def upgrade() -> None:
    create_table('face_persons', 'face_id:int user_id:int person_id:int? assigned_by:str16?',
                 pk='face_id user_id', fks=['face_id>faces', 'person_id>persons?', 'user_id>users'],
                 indexes=INDEXES)
    # a face's person was one user's word for everyone: it becomes that user's own row
    op.execute(
        "INSERT INTO face_persons (face_id, user_id, person_id, assigned_by) "
        "SELECT f.id, p.user_id, f.person_id, f.assigned_by FROM faces f "
        "JOIN persons p ON p.id = f.person_id WHERE f.person_id IS NOT NULL")
    # faces a user took out of every person: that stands for each owner of the mount
    op.execute(
        "INSERT INTO face_persons (face_id, user_id, person_id, assigned_by) "
        "SELECT f.id, o.user_id, NULL, 'user' FROM faces f "
        "JOIN photos ph ON ph.id = f.photo_id JOIN mount_owners o ON o.mount_id = ph.mount_id "
        "WHERE f.person_id IS NULL AND f.assigned_by = 'user'")
    with op.batch_alter_table('faces', schema=None) as batch_op:
        batch_op.drop_index('ix_faces_person_id')
        batch_op.drop_constraint('fk_faces_person_id_persons', type_='foreignkey')
        batch_op.drop_column('person_id')
        batch_op.drop_column('assigned_by')
    with op.batch_alter_table('mounts', schema=None) as batch_op:
        batch_op.add_column(column('persons_user_id:int?'))
        batch_op.create_foreign_key(op.f('fk_mounts_persons_user_id_users'), 'users',
                                    ['persons_user_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('mounts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_mounts_persons_user_id_users', type_='foreignkey')
        batch_op.drop_column('persons_user_id')
    with op.batch_alter_table('faces', schema=None) as batch_op:
        batch_op.add_column(column('assigned_by:str16?'))
        batch_op.add_column(column('person_id:int?'))
        batch_op.create_foreign_key('fk_faces_person_id_persons', 'persons', ['person_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index('ix_faces_person_id', ['person_id'], unique=False)
    op.execute(
        "UPDATE faces SET person_id = (SELECT fp.person_id FROM face_persons fp "
        "WHERE fp.face_id = faces.id ORDER BY fp.user_id LIMIT 1), assigned_by = (SELECT "
        "fp.assigned_by FROM face_persons fp WHERE fp.face_id = faces.id ORDER BY fp.user_id LIMIT 1)")
    drop_table('face_persons', INDEXES)
