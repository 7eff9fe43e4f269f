"""SQLAlchemy 2 models: the only place that knows the schema. Changes go through Alembic."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A login, or (name starting with "@") the group that owns a shared mount's persons."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)


class Mount(Base):
    __tablename__ = "mounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    location: Mapped[str] = mapped_column(Text)  # local folder or remote URL
    crawled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # set when the mount shares its persons among its owners: the group that owns them
    persons_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owners: Mapped[list[User]] = relationship(secondary="mount_owners", lazy="selectin")


class MountOwner(Base):
    __tablename__ = "mount_owners"
    mount_id: Mapped[int] = mapped_column(ForeignKey("mounts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Photo(Base):
    """One file of a mount, identified by its row: a moved file keeps its row."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("mount_id", "path"),
        Index("ix_photos_mount_status", "mount_id", "status"),
        Index("ix_photos_fingerprint", "size", "fingerprint"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mount_id: Mapped[int] = mapped_column(ForeignKey("mounts.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)  # relative to the mount, '/' separated
    name: Mapped[str] = mapped_column(String(255), index=True, server_default="")  # file name
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(40))  # hash of size + head + tail
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|ok|partial|failed
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    indexed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # what the media stage learned
    file_type: Mapped[str | None] = mapped_column(String(16))
    mime: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    orientation: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)  # local wall clock
    tz_offset_min: Mapped[int | None] = mapped_column(Integer)
    make: Mapped[str | None] = mapped_column(String(128))
    model: Mapped[str | None] = mapped_column(String(128))
    camera: Mapped[str | None] = mapped_column(String(256), index=True)  # "Make Model", tidied
    lens: Mapped[str | None] = mapped_column(String(256))
    focal_length: Mapped[float | None] = mapped_column(Float)
    focal_length_35mm: Mapped[float | None] = mapped_column(Float)
    exposure_time: Mapped[float | None] = mapped_column(Float)
    f_number: Mapped[float | None] = mapped_column(Float)
    iso: Mapped[int | None] = mapped_column(Integer)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_alt: Mapped[float | None] = mapped_column(Float)
    country_code: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(128), index=True)
    city: Mapped[str | None] = mapped_column(String(128))
    phash: Mapped[str | None] = mapped_column(String(16))
    dhash: Mapped[str | None] = mapped_column(String(16))
    near_code: Mapped[str | None] = mapped_column(String(128))  # media.hashing.near_code

    mount: Mapped[Mount] = relationship(lazy="joined")


STAGE_VERSION_LENGTH = 255
"""The longest stage version the store holds (migration 0015; a stage whose version is longer
is refused when it is built, on every database: PostgreSQL would refuse the row)."""


class PhotoStage(Base):
    """Which stage ran on a photo with which version, so a new version re-runs only it."""

    __tablename__ = "photo_stages"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(STAGE_VERSION_LENGTH))
    done_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class QueueItem(Base):
    """Work to do: one row per (photo, stage), claimed by a worker, deleted when done."""

    __tablename__ = "queue"
    __table_args__ = (
        UniqueConstraint("photo_id", "stage"),
        Index("ix_queue_claim", "mount_id", "stage", "not_before"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    mount_id: Mapped[int] = mapped_column(ForeignKey("mounts.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(128))
    cover_face_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Face(Base):
    __tablename__ = "faces"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    w: Mapped[float] = mapped_column(Float)
    h: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    landmarks: Mapped[list[list[float]] | None] = mapped_column(JSON)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32 little-endian
    model: Mapped[str] = mapped_column(String(64))
    # why the face is kept out of persons: small | blurred | turned | implausible landmarks
    quality: Mapped[str | None] = mapped_column(String(32))


class FacePerson(Base):
    """Whom a face is, in the eyes of one person owner (a user, or a shared mount's group).

    Each owner of a mount has their own persons over its faces, so a face has one row per
    owner that has placed it. ``person_id`` NULL with ``assigned_by`` "user" means the user
    took the face out of every person (that placement stands, like any of theirs);
    "ignored" means "this is not a face": never clustered, never listed, until undone.
    """

    __tablename__ = "face_persons"
    __table_args__ = (Index("ix_face_persons_user_person", "user_id", "person_id"),)
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    assigned_by: Mapped[str | None] = mapped_column(String(16))  # cluster|match|user|ignored


class FaceCorrection(Base):
    """A user's word about a face: it is (must) or is not (cannot) a person. Kept forever."""

    __tablename__ = "face_corrections"
    __table_args__ = (UniqueConstraint("face_id", "person_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # must | cannot
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PersonsApart(Base):
    """The user's word that two persons are not the same (a rejected merge suggestion)."""

    __tablename__ = "persons_apart"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"),
                                           primary_key=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("name", "kind", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # classifier|user|place|date|camera|person|...
    synset: Mapped[str | None] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class PhotoTag(Base):
    """A tag on a photo. ``user_id`` 0: everyone who sees the photo has it (set by a stage);
    else the user who put it on by hand, the only one who sees it (``store/tag_removals.py``:
    what each user sees). A tag is on a photo for everyone or for some users, not both."""

    __tablename__ = "photo_tags"
    __table_args__ = (  # search and tag counts read (tag, photo, confidence, user) from the index
        Index("ix_photo_tags_search", "tag_id", "photo_id", "confidence", "user_id"),
        # a term's most confident rows: a range per tag above a floor (store.search._top_single)
        Index("ix_photo_tags_rank", "tag_id", "confidence", "photo_id", "user_id"),
        # a candidate photo's rows with their confidence (the others terms of a search)
        Index("ix_photo_tags_photo", "photo_id", "tag_id", "confidence", "user_id"),
    )
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(64))


class DuplicateMember(Base):
    """One photo of a group of near-duplicates among one user's mounts (written by the
    duplicates job; a group is named by its smallest photo id)."""

    __tablename__ = "duplicate_members"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer)


class TagRemoval(Base):
    """A user's word that a tag recognize set is wrong for a photo (a tombstone): the tags
    stage never puts it back. Kept until the user tags the photo with it again."""

    __tablename__ = "tag_removals"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    removed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PhotoObject(Base):
    """One box the object detector found (COCO class, score, box in 0..1 of the photo);
    written by the objects stage, replaced when it runs again."""

    __tablename__ = "photo_objects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    x0: Mapped[float] = mapped_column(Float)
    y0: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)


class Lease(Base):
    """A named lock with an expiry, so one node crawls a mount / clusters a user at a time."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class JobRun(Base):
    """A background job's run: kept so failures are visible after a restart."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_name_started", "name", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))  # e.g. crawl:family, process, cluster:alice
    node: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed
    detail: Mapped[str | None] = mapped_column(Text)


class State(Base):
    """Small facts that must survive restarts (e.g. the clustering settings last used)."""

    __tablename__ = "state"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ApiToken(Base):
    """A user's API token for scripts; only its sha256 is kept (the token is shown once)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise it in lists
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
