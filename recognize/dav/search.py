"""``search/<query>/<photo>``: the photos a search finds, best first (see docs/dav.md).

The folder name is the query (``search/dog beach 2019/``); listing ``search/`` shows nothing.
Words resolve as in the API's search (``recognize.store.search``): tags, persons, places,
dates, cameras; every word must match. Entries behave as in ``tags/``: read-only photos.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy.orm import Session
from wsgidav.dav_provider import _DAVResource

from recognize.dav.base import PhotoFolder, VirtualCollection, digest
from recognize.inference.wordnet_table import TABLE_FILE
from recognize.store import views
from recognize.store.views import PhotoRow, Stat

MAX_RESULTS = 1000
MAX_QUERY = 200
Expand = Callable[[str], Collection[str]]

try:
    from recognize.store import search as _search
except ImportError:  # pragma: no cover - the search module is optional for the tree
    _search = None  # type: ignore[assignment]

AVAILABLE = _search is not None


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

    def __init__(self, path: str, environ: dict[str, Any], ctx: Any, query: str) -> None:
        super().__init__(path, environ, ctx)
        self.query_text = query
        self._rows: list[PhotoRow] | None = None

    def photo_ids(self, session: Session) -> list[int]:
        if _search is None:
            return []
        found = _search.search(session, self.ctx.viewer.owner_ids, self.ctx.mount_ids,
                               self.query_text, expander(self.ctx.backend), limit=MAX_RESULTS)
        return list(found.photo_ids)

    def ranked(self, session: Session) -> list[PhotoRow]:
        if self._rows is None:
            ids = self.photo_ids(session)
            rank = {pid: i for i, pid in enumerate(ids)}
            rows = views.photos_by_id(session, ids) if ids else []
            self._rows = sorted(rows, key=lambda r: rank[r.id])
        return self._rows

    def query(self, session: Session, names_: Sequence[str] | None) -> list[PhotoRow]:
        rows = self.ranked(session)
        return rows if names_ is None else [r for r in rows if r.name in names_]

    def compute_stat(self, session: Session) -> Stat:
        rows = self.ranked(session)
        return Stat(len(rows), sum(r.id for r in rows), sum(r.mtime_ns // 1_000_000 for r in rows),
                    sum(r.size for r in rows), max((r.mtime_ns for r in rows), default=0))


def expander(backend: Any) -> Expand | None:
    """WordNet expansion ("dog" finds golden retrievers), as the API's search uses it.

    Only when the class table is cached already (the tags stage writes it): without it there
    are no classifier tags to expand into, and building it would stall this request.
    """
    settings = backend.settings
    models = settings.models_dir()
    if not settings.tags.enabled or not (models / TABLE_FILE).is_file():
        return None
    try:
        from recognize.jobs.search import word_index
    except ImportError:  # pragma: no cover - words then match tag names as written
        return None
    index = word_index(models)
    return index.expand if index is not None else None
