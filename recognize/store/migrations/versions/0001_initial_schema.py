"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 01:22:33.086576
"""
from __future__ import annotations

from typing import Any

from recognize.store.migrations.helpers import create_table, drop_table


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


# the photo's file, then what its EXIF says, then where it was taken and its hashes
PHOTO_FILE = ("id:int mount_id:int path:text size:bigint mtime_ns:bigint fingerprint:str40 status:str16 "
              "error:text? attempts:int added_at:time indexed_at:time? file_type:str16? mime:str64? ")
PHOTO_EXIF = ("width:int? height:int? orientation:int? taken_at:time? tz_offset_min:int? make:str128? "
              "model:str128? camera:str256? lens:str256? focal_length:float? focal_length_35mm:float? "
              "exposure_time:float? f_number:float? iso:int? ")
PHOTO_PLACE = ("gps_lat:float? gps_lon:float? gps_alt:float? country_code:str8? country:str128? "
               "city:str128? phash:str16? dhash:str16?")

TABLES: list[dict[str, Any]] = [
    dict(table='leases', columns='name:str128 holder:str128 expires_at:time', pk='name'),
    dict(table='mounts', columns='id:int name:str64 location:text crawled_at:time?', unique='name'),
    dict(table='users', columns='id:int name:str64 admin:bool', unique='name'),
    dict(table='mount_owners', columns='mount_id:int user_id:int', pk='mount_id user_id',
         fks=['mount_id>mounts', 'user_id>users']),
    dict(table='persons', fks=['user_id>users'], unique='user_id name', indexes=['user_id'],
         columns='id:int user_id:int name:str128? cover_face_id:int? created_at:time deleted:bool'),
    dict(table='photos', columns=PHOTO_FILE + PHOTO_EXIF + PHOTO_PLACE, fks=['mount_id>mounts'],
         unique='mount_id path',
         indexes=['camera', 'country', 'ix_photos_fingerprint=size,fingerprint',
                  'ix_photos_mount_status=mount_id,status', 'taken_at']),
    dict(table='tags', fks=['parent_id>tags?', 'user_id>users'], unique='name kind user_id',
         columns='id:int name:str256 kind:str16 synset:str16? parent_id:int? user_id:int?',
         indexes=['name']),
    dict(table='faces', fks=['person_id>persons?', 'photo_id>photos'],
         columns='id:int photo_id:int x:float y:float w:float h:float score:float landmarks:json? '
                 'embedding:bytes? model:str64 person_id:int? assigned_by:str16?',
         indexes=['person_id', 'photo_id']),
    dict(table='photo_stages', columns='photo_id:int stage:str32 version:str64 done_at:time',
         fks=['photo_id>photos'], pk='photo_id stage'),
    dict(table='photo_tags', columns='photo_id:int tag_id:int confidence:float source:str64',
         fks=['photo_id>photos', 'tag_id>tags'], pk='photo_id tag_id', indexes=['tag_id']),
    dict(table='queue', fks=['mount_id>mounts', 'photo_id>photos'], unique='photo_id stage',
         columns='id:int photo_id:int mount_id:int stage:str32 attempts:int not_before:time '
                 'claimed_by:str128? claimed_until:time? last_error:text?',
         indexes=['ix_queue_claim=mount_id,stage,not_before']),
    dict(table='face_corrections', columns='id:int face_id:int person_id:int kind:str8 created_at:time',
         fks=['face_id>faces', 'person_id>persons'], unique='face_id person_id kind',
         indexes=['face_id', 'person_id']),
]


def upgrade() -> None:
    for table in TABLES:
        create_table(**table)


def downgrade() -> None:
    for table in reversed(TABLES):
        drop_table(table['table'], table.get('indexes', ()))
