"""Queries behind ``places/<country>/<city>/`` and ``dates/<yyyy>/<yyyy-mm>/``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recognize.store.models import Photo
from recognize.store.rows import PHOTO_COLS, Group, PhotoRow, named, own, photo_rows, stat_cols, stat_of


def _grouped(session: Session, keys: Sequence[Any], where: Sequence[Any]) -> list[Group]:
    query = select(*keys, *stat_cols()).where(*where).group_by(*keys).order_by(*keys)
    n = len(keys)
    return [Group(tuple(r[:n]) if n > 1 else r[0], None, stat_of(r, n))
            for r in session.execute(query)]


def _year() -> Any:
    return func.extract("year", Photo.taken_at)


def _month() -> Any:
    return func.extract("month", Photo.taken_at)


def countries(session: Session, mount_ids: Sequence[int]) -> list[Group]:
    return _grouped(session, [Photo.country], [own(mount_ids), Photo.country.is_not(None)])


def cities(session: Session, mount_ids: Sequence[int], country: str) -> list[Group]:
    return _grouped(session, [Photo.city], [own(mount_ids), Photo.country == country])


def place_photos(
    session: Session, mount_ids: Sequence[int], country: str, city: str | None,
    names: Sequence[str] | None = None,
) -> list[PhotoRow]:
    city_is = Photo.city.is_(None) if city is None else Photo.city == city
    query = select(*PHOTO_COLS).where(own(mount_ids), Photo.country == country, city_is)
    return photo_rows(session, named(query, names))


def years(session: Session, mount_ids: Sequence[int]) -> list[Group]:
    return _grouped(session, [_year()], [own(mount_ids), Photo.taken_at.is_not(None)])


def months(session: Session, mount_ids: Sequence[int], year: int) -> list[Group]:
    return _grouped(session, [_month()], [own(mount_ids), _year() == year])


def month_photos(
    session: Session, mount_ids: Sequence[int], year: int, month: int,
    names: Sequence[str] | None = None,
) -> list[PhotoRow]:
    query = select(*PHOTO_COLS).where(own(mount_ids), _year() == year, _month() == month)
    return photo_rows(session, named(query, names))
