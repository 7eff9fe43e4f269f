"""A file was added, removed or moved under a writable mount (by WebDAV): bring the store along.

New files get a row and are queued for every stage, exactly as the crawl would; removed
files lose their row; moved files keep theirs (and so their faces, persons and tags).
The next crawl finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from recognize.jobs.crawl import fingerprint, walk
from recognize.log import get_logger
from recognize.media.sniff import SUPPORTED_EXTENSIONS
from recognize.store import Store
from recognize.store import photos as photo_store
from recognize.store.photos import FoundFile

log = get_logger(__name__)


def _is_photo(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return not name.startswith(".") and name.rpartition(".")[2].lower() in SUPPORTED_EXTENSIONS


def _under(rel: str, known: dict[str, photo_store.KnownFile]) -> dict[str, photo_store.KnownFile]:
    prefix = rel.rstrip("/") + "/"
    return {p: k for p, k in known.items() if p == rel or p.startswith(prefix)}


def added(store: Store, mount_id: int, root: Path, rel: str, stages: Sequence[str]) -> list[int]:
    """A file or a folder appeared at ``rel``: index its photos (new or changed)."""
    target = root / rel
    if target.is_dir():
        found = [f"{rel.rstrip('/')}/{s.path}" for s in walk(target, SUPPORTED_EXTENSIONS)]
    else:
        found = [rel] if _is_photo(rel) and target.is_file() else []
    if not found:
        return []
    files = []
    for path in found:
        st = (root / path).stat()
        files.append(FoundFile(path, st.st_size, st.st_mtime_ns,
                               fingerprint(root / path, st.st_size)))
    with store.session() as session:
        known = photo_store.known_files(session, mount_id)
        fresh = [f for f in files if f.path not in known]
        changed = [(known[f.path].id, f) for f in files if f.path in known]
        ids = photo_store.add_files(session, mount_id, fresh, stages)
        if changed:
            photo_store.update_changed(session, mount_id, changed, stages)
    log.info("indexed %d new and %d changed file(s) under %s", len(fresh), len(changed), rel)
    return ids + [pid for pid, _ in changed]


def removed(store: Store, mount_id: int, rel: str) -> int:
    """The file or folder ``rel`` is gone: drop the rows of the photos it held."""
    with store.session() as session:
        gone = _under(rel, photo_store.known_files(session, mount_id))
        photo_store.remove(session, [k.id for k in gone.values()])
    return len(gone)


def moved(store: Store, mount_id: int, old: str, new: str, root: Path,
          stages: Sequence[str]) -> int:
    """``old`` became ``new`` inside one mount: the rows follow, keeping faces and tags."""
    with store.session() as session:
        known = photo_store.known_files(session, mount_id)
        gone = _under(old, known)
        for path, k in gone.items():
            new_path = new.rstrip("/") + path[len(old.rstrip("/")):]
            if _is_photo(new_path):
                photo_store.move(session, k.id, FoundFile(new_path, k.size, k.mtime_ns,
                                                          k.fingerprint))
            else:
                photo_store.remove(session, [k.id])
    if not gone:
        added(store, mount_id, root, new, stages)
    return len(gone)
