"""Search glue: WordNet word index (from the cached class table) + the store's search.

The word index maps every lemma of the table's synsets (the 1000 ImageNet classes and their
hypernym closures) to the synsets at or below it, so "dog" expands to every dog breed and
"animal" to every animal class. It is computed from the cached JSON table (no WordNet load at
request time) once per process. Rare senses are dropped: of the synsets sharing a lemma only
those whose SemCor count reaches a tenth of the most frequent sense's are kept ("dog" is the
animal, not the andiron), unless none is counted at all.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

from recognize.config import Settings
from recognize.log import get_logger
from recognize.store import Store, accounts
from recognize.store import search as search_store

log = get_logger(__name__)
RARE_SENSE = 0.1
_lock = threading.Lock()
_indexes: dict[Path, WordIndex | None] = {}


class WordIndex:
    """word or phrase (lower case, spaces) → WordNet ids at or below its common senses."""

    def __init__(self, synsets: dict[str, dict[str, object]]) -> None:
        ancestors: dict[str, set[str]] = {}

        def up(sid: str) -> set[str]:
            if sid not in ancestors:
                ancestors[sid] = set()  # cycle guard (WordNet has none, the table might)
                parents = synsets.get(sid, {}).get("parents") or []
                found: set[str] = set()
                for p in parents:  # type: ignore[attr-defined]
                    if p in synsets:
                        found |= {p} | up(p)
                ancestors[sid] = found
            return ancestors[sid]

        below: dict[str, set[str]] = defaultdict(set)
        for sid in synsets:
            below[sid].add(sid)
            for a in up(sid):
                below[a].add(sid)
        senses: dict[str, list[str]] = defaultdict(list)
        for sid, entry in synsets.items():
            for lemma in entry.get("lemmas") or []:  # type: ignore[attr-defined]
                senses[str(lemma).lower().replace("_", " ")].append(sid)
        self.words: dict[str, frozenset[str]] = {}
        for word, sids in senses.items():
            counts = {s: int(synsets[s].get("count") or 0) for s in sids}  # type: ignore[call-overload]
            top = max(counts.values())
            kept = [s for s in sids if top == 0 or counts[s] >= RARE_SENSE * top]
            self.words[word] = frozenset(x for s in kept for x in below[s])

    def expand(self, phrase: str) -> Collection[str]:
        return self.words.get(phrase.lower(), frozenset())


def word_index(models_dir: Path) -> WordIndex | None:
    """The index for the class table cached in ``models_dir`` (None when it cannot be had)."""
    with _lock:
        if models_dir not in _indexes:
            try:
                from recognize.inference.wordnet_table import load_class_table

                table = load_class_table(models_dir)
                _indexes[models_dir] = WordIndex(table.synsets)
            except Exception as exc:  # search still works on names, places, dates
                log.warning("search without WordNet synonyms: %s", exc)
                _indexes[models_dir] = None
        return _indexes[models_dir]


def search_photos(settings: Settings, store: Store, user: str, query: str, *,
                  offset: int = 0, limit: int | None = None) -> search_store.SearchResult:
    """Photos of ``user`` matching ``query`` (ids ranked best first; see store.search)."""
    index = word_index(settings.models_dir()) if settings.tags.enabled else None
    with store.reading() as session:
        uid = accounts.user_id(session, user)
        if uid is None:
            return search_store.SearchResult(query=query, unknown=search_store.words_of(query))
        viewer = accounts.viewer(session, uid)
        return search_store.search(session, viewer.owner_ids, viewer.mount_ids, query,
                                   index.expand if index is not None else None,
                                   offset=offset, limit=limit)
