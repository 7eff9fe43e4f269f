"""Read-only views: ``places/<country>/<city>/``, ``dates/<yyyy>/<yyyy-mm>/``, ``duplicates/``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.dav_provider import _DAVResource

from recognize.dav import names
from recognize.dav.base import PhotoFolder, VirtualCollection
from recognize.dav.context import UserContext
from recognize.store import browse
from recognize.store import duplicates as duplicate_store
from recognize.store.rows import Group, PhotoRow, Stat, photos_by_id

UNKNOWN_CITY = "Unknown place"


def _stat_of(groups: list[Group], key: Any) -> Stat:
    return next((g.stat for g in groups if g.key == key and g.stat), Stat())


class PlacesRoot(VirtualCollection):
    kind = "places"

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            groups = browse.countries(session, self.ctx.mount_ids)
        return [CountryFolder(self.child_path(n), self.environ, self.ctx, g.stat, g.key)
                for n, g in names.unique(groups, lambda g: names.safe(g.key))]


class CountryFolder(VirtualCollection):
    kind = "country"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, stat: Stat | None,
                 country: str) -> None:
        super().__init__(path, environ, ctx, stat)
        self.country = country

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            groups = browse.cities(session, self.ctx.mount_ids, self.country)
        return [CityFolder(self.child_path(n), self.environ, self.ctx, g.stat, self.country, g.key)
                for n, g in names.unique(groups, lambda g: names.safe(g.key or UNKNOWN_CITY))]


class CityFolder(PhotoFolder):
    kind = "city"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, stat: Stat | None,
                 country: str, city: str | None) -> None:
        super().__init__(path, environ, ctx, stat)
        self.country, self.city = country, city

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return browse.place_photos(session, self.ctx.mount_ids, self.country, self.city, names_)

    def compute_stat(self, session: Session) -> Stat:
        return _stat_of(browse.cities(session, self.ctx.mount_ids, self.country), self.city)


class DatesRoot(VirtualCollection):
    kind = "dates"

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            groups = browse.years(session, self.ctx.mount_ids)
        return [YearFolder(self.child_path(f"{int(g.key):04d}"), self.environ, self.ctx, g.stat,
                           int(g.key)) for g in groups]


class YearFolder(VirtualCollection):
    kind = "year"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, stat: Stat | None,
                 year: int) -> None:
        super().__init__(path, environ, ctx, stat)
        self.year = year

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            groups = browse.months(session, self.ctx.mount_ids, self.year)
        return [MonthFolder(self.child_path(f"{self.year:04d}-{int(g.key):02d}"), self.environ,
                            self.ctx, g.stat, self.year, int(g.key)) for g in groups]


class MonthFolder(PhotoFolder):
    kind = "month"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, stat: Stat | None,
                 year: int, month: int) -> None:
        super().__init__(path, environ, ctx, stat)
        self.year, self.month = year, month

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return browse.month_photos(session, self.ctx.mount_ids, self.year, self.month, names_)

    def compute_stat(self, session: Session) -> Stat:
        return _stat_of(browse.months(session, self.ctx.mount_ids, self.year), self.month)


class DuplicatesRoot(VirtualCollection):
    """One folder per group of near-duplicates, named after its first photo."""

    kind = "duplicates"

    def _groups(self, session: Session) -> list[list[int]]:
        """The groups the duplicates job stored for this user (see jobs/duplicates.py)."""
        return duplicate_store.groups(session, self.ctx.user_id, self.ctx.mount_ids)

    def list_members(self) -> list[_DAVResource]:
        with self.ctx.reading() as session:
            groups = self._groups(session)
            first = {r.id: r for r in photos_by_id(session, [g[0] for g in groups])}
        labelled = [(names.split(first[g[0]].name)[0], g) for g in groups if g[0] in first]
        return [DuplicateGroup(self.child_path(n), self.environ, self.ctx, None, item[1])
                for n, item in names.unique(labelled, lambda i: names.safe(i[0]))]


class DuplicateGroup(PhotoFolder):
    kind = "duplicate"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, stat: Stat | None,
                 ids: list[int]) -> None:
        super().__init__(path, environ, ctx, stat)
        self.ids = ids

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        return photos_by_id(session, self.ids, names_)

    def compute_stat(self, session: Session) -> Stat:
        rows = self.query(session, None)
        return Stat(len(rows), sum(r.id for r in rows), sum(r.mtime_ns // 1_000_000 for r in rows),
                    sum(r.size for r in rows), max((r.mtime_ns for r in rows), default=0))
