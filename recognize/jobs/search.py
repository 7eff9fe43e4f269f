"""Search glue: WordNet word index (from the cached class table) + the store's search.

The word index maps every lemma of the table's synsets (the 1000 ImageNet classes and their
hypernym closures) to the synsets at or below it, so "dog" expands to every dog breed and
"animal" to every animal class. It is computed from the cached JSON table (no WordNet load at
request time) once per process. Rare senses are dropped: of the synsets sharing a lemma only
those whose SemCor count reaches a tenth of the most frequent sense's are kept ("dog" is the
animal, not the andiron), unless none is counted at all.

Words outside the table ("puppy", "pooch", "kitten") come from the noun map of
``inference.wordnet_words`` (every WordNet noun, up to its nearest table synsets) and scene
words ("beach" <- seashore, sandbar) from ``data/search_scenes.toml``. The noun map is built
once per models folder the first time search needs it, in a child process that a
background thread waits for (WordNet loads in seconds to a minute, in pure Python: in this
process it would hold the interpreter lock from the requests); until it is there such words
are unknown.

``find`` is the one entry point of both the API's ``/search`` and WebDAV's ``search/``.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

from sqlalchemy.orm import Session

from recognize.config import Settings
from recognize.log import get_logger
from recognize.store import Store, accounts
from recognize.store import search as search_store

log = get_logger(__name__)
RARE_SENSE = 0.1
_lock = threading.Lock()
_indexes: dict[Path, WordIndex | None] = {}
_building: set[Path] = set()
_versions = itertools.count(1)
MEMO_SIZE = 1024  # queries and phrases whose resolution is kept (Store.memo)


class WordIndex:
    """word or phrase (lower case, spaces) → WordNet ids at or below its common senses."""

    def __init__(self, synsets: dict[str, dict[str, object]],
                 nouns: dict[str, list[str]] | None = None,
                 scenes: dict[str, list[str]] | None = None) -> None:
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
        words: dict[str, frozenset[str]] = {}
        for word, sids in senses.items():
            counts = {s: int(synsets[s].get("count") or 0) for s in sids}  # type: ignore[call-overload]
            top = max(counts.values())
            kept = [s for s in sids if top == 0 or counts[s] >= RARE_SENSE * top]
            words[word] = frozenset(x for s in kept for x in below[s])
        for word, ids in (nouns or {}).items():  # up to the table, then down again
            if word not in words:
                words[word] = frozenset(x for s in ids if s in below for x in below[s])
        by_name = {str(entry.get("id")): sid for sid, entry in synsets.items()}
        for word, names in (scenes or {}).items():
            ids = [by_name[n] for n in names if n in by_name]
            extra = frozenset(x for s in ids for x in below[s])
            words[word] = words.get(word, frozenset()) | extra
        # tuples of strings: the garbage collector stops tracking them, where a full
        # collection walks every member of every set (60-90 ms per collection at request
        # time with the noun map loaded)
        self.words: dict[str, tuple[str, ...]] = {w: tuple(sorted(ids)) for w, ids in words.items()}

        self.version = next(_versions)  # names this index in cache keys

    def expand(self, phrase: str) -> Collection[str]:
        return frozenset(self.words.get(phrase.lower(), ()))


def table_key(models_dir: Path) -> str:
    from recognize.inference.wordnet_table import TABLE_FILE

    return hashlib.sha256((models_dir / TABLE_FILE).read_bytes()).hexdigest()[:16]


def word_index(models_dir: Path) -> WordIndex | None:
    """The index for the class table cached in ``models_dir`` (None when it is not cached:
    the tags stage writes it, and without it there are no classifier tags to find)."""
    from recognize.inference.wordnet_table import TABLE_FILE

    with _lock:
        if models_dir not in _indexes:
            if not (models_dir / TABLE_FILE).is_file():
                return None
            _indexes[models_dir] = _load_index(models_dir)
            # the index and everything imported to get here live as long as the process:
            # out of the collector's full sweeps (35-90 ms each at request time otherwise)
            gc.freeze()
        return _indexes[models_dir]


def _load_index(models_dir: Path) -> WordIndex | None:
    try:
        from recognize.inference.wordnet_table import load_class_table
        from recognize.inference.wordnet_words import load_words, scene_rules

        table = load_class_table(models_dir)
        nouns = load_words(models_dir, table_key(models_dir))
        if nouns is None:
            _build_nouns_later(models_dir)
        return WordIndex(table.synsets, nouns, scene_rules())
    except Exception as exc:  # search still works on names, places, dates
        log.warning("search without WordNet synonyms: %s", exc)
        return None


# the map is built by a process of its own: the 20-60 s of pure-Python WordNet work in a
# thread would hold this process's interpreter lock away from its requests (search p99
# ~500 ms while it ran); a thread of ours waits for it, and builds the map itself only
# when no interpreter can be started (sys.executable is an embedding server's binary)
BUILD_WORDS = ("import sys; from pathlib import Path; "
               "from recognize.inference.wordnet_words import prepare_words; "
               "prepare_words(Path(sys.argv[1]), sys.argv[2])")


def _build_nouns_later(models_dir: Path) -> None:
    if models_dir in _building:
        return
    _building.add(models_dir)

    def build() -> None:
        from recognize.inference.wordnet_words import prepare_words

        key = table_key(models_dir)
        try:
            if not _build_words_apart(models_dir, key):
                prepare_words(models_dir, key)
        except Exception as exc:
            log.warning("search word map not built: %s", exc)
            return
        with _lock:
            _indexes.pop(models_dir, None)  # the next search loads the full index

    threading.Thread(target=build, name="search-words", daemon=True).start()


def _build_words_apart(models_dir: Path, key: str) -> bool:
    """Build the word map in a child interpreter; False when none could be run."""
    from recognize.inference.wordnet_words import load_words

    if "python" not in Path(sys.executable or "").name.lower():
        return False  # e.g. uWSGI's own binary
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the package
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run([sys.executable, "-c", BUILD_WORDS, str(models_dir), key],
                              capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": path})
    except OSError as exc:
        log.info("search word map built in this process (%s)", exc)
        return False
    if done.returncode == 0 and load_words(models_dir, key) is not None:
        return True
    lines = done.stderr.strip().splitlines()
    raise RuntimeError(lines[-1] if lines else f"exit status {done.returncode}")


def find(settings: Settings, session: Session, viewer: accounts.Viewer, query: str, *,
         offset: int = 0, limit: int | None = None, store: Store | None = None
         ) -> search_store.SearchResult:
    """The user's photos matching ``query`` (API and WebDAV alike: one parser, one index).
    With ``store``, the words' resolution to tags is reused until something is committed
    (``Store.memo``), per query and per phrase (so "dog 2019 paris" reuses what "dog" and
    "paris" found in other queries); each is read in a session of its own, begun after the
    generation."""
    index = word_index(settings.models_dir()) if settings.tags.enabled else None
    expand = index.expand if index is not None else None
    resolved = None
    if store is not None:
        owners = tuple(viewer.owner_ids)
        version = index.version if index is not None else 0

        def phrase(text: str) -> search_store.Term:
            def compute() -> search_store.Term:
                with store.reading() as own:
                    return search_store.resolve(own, owners, text, expand)

            return store.memo(("search-phrase", owners, text, version), compute, size=MEMO_SIZE)

        resolved = store.memo(("search-terms", owners, query, version), lambda: (
            search_store.resolve_query(session, owners, query, expand, phrase)), size=MEMO_SIZE)
    return search_store.search(session, viewer.owner_ids, viewer.mount_ids, query, expand,
                               user_id=viewer.user_id, offset=offset, limit=limit,
                               resolved=resolved)


def search_photos(settings: Settings, store: Store, user: str, query: str, *,
                  offset: int = 0, limit: int | None = None,
                  served: Collection[int] | None = None) -> search_store.SearchResult:
    """Photos of ``user`` matching ``query`` (ids ranked best first; see store.search), in
    the ``served`` mounts only (those configured; None: every mount the user owns)."""
    with store.reading() as session:
        uid = accounts.user_id(session, user)
        if uid is None:
            return search_store.SearchResult(query=query, unknown=search_store.words_of(query))
        return find(settings, session, accounts.viewer(session, uid, served), query,
                    store=store, offset=offset, limit=limit)
