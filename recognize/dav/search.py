"""``search/<query>/<photo>``: the photos a search finds, best first (see docs/dav.md).

The folder name is the query (``search/dog beach 2019/``); listing ``search/`` shows nothing.
Words resolve exactly as in the API's search (both call ``recognize.jobs.search.find``):
tags, WordNet nouns and scene words, persons, places, dates, cameras; every word must match
and ``-word`` excludes. Entries behave as in ``tags/``: read-only photos.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.dav_provider import _DAVResource

from recognize.dav.base import PhotoFolder, VirtualCollection, digest
from recognize.dav.context import UserContext
from recognize.jobs.search import find
from recognize.store.rows import PhotoRow, Stat, photos_by_id

MAX_RESULTS = 1000
MAX_QUERY = 200


class SearchRoot(VirtualCollection):
    kind = "search"

    def get_member(self, name: str) -> _DAVResource | None:
        query = name.strip()
        if not query or len(query) > MAX_QUERY:
            return None
        return SearchFolder(self.child_path(name), self.environ, self.ctx, query)

    def get_etag(self) -> str:
        return digest(self.kind, self.path)


class SearchFolder(PhotoFolder):
    kind = "search-results"

    def __init__(self, path: str, environ: dict[str, Any], ctx: UserContext, query: str) -> None:
        super().__init__(path, environ, ctx)
        self.query_text = query
        self._rows: list[PhotoRow] | None = None

    def photo_ids(self, session: Session) -> list[int]:
        found = find(self.ctx.backend.settings, session, self.ctx.viewer, self.query_text,
                     limit=MAX_RESULTS, store=self.ctx.backend.store)
        return list(found.photo_ids)

    def ranked(self, session: Session) -> list[PhotoRow]:
        if self._rows is None:
            ids = self.photo_ids(session)
            rank = {pid: i for i, pid in enumerate(ids)}
            rows = photos_by_id(session, ids) if ids else []
            self._rows = sorted(rows, key=lambda r: rank[r.id])
        return self._rows

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        rows = self.ranked(session)
        return rows if names_ is None else [r for r in rows if r.name in names_]

    def compute_stat(self, session: Session) -> Stat:
        rows = self.ranked(session)
        return Stat(len(rows), sum(r.id for r in rows), sum(r.mtime_ns // 1_000_000 for r in rows),
                    sum(r.size for r in rows), max((r.mtime_ns for r in rows), default=0))
