"""Crawl a local mount: incremental by size + mtime; notices new, changed, moved, deleted files.

Moves are recognised by content (size + a fingerprint of the file's head and tail), so a
moved photo keeps its row and everything later stages attached to it. Folders holding a
``.nomedia`` or ``.noimage`` marker are skipped with everything below them, and so are
hidden files and folders.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from recognize.log import get_logger
from recognize.store import Store
from recognize.store import photos as photo_store
from recognize.store.accounts import MountRef
from recognize.store.photos import FoundFile, KnownFile

log = get_logger(__name__)
MARKERS = (".nomedia", ".noimage")
CHUNK = 500  # rows per transaction: a killed crawl keeps what it committed
_EDGE = 64 * 1024


@dataclass
class CrawlResult:
    mount: str
    seen: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class Stat:
    path: str
    size: int
    mtime_ns: int


def fingerprint(path: Path, size: int) -> str:
    """Hash of the size, the first and the last 64 KiB: cheap, and stable across moves."""
    digest = hashlib.blake2b(str(size).encode(), digest_size=20)
    with path.open("rb") as fh:
        digest.update(fh.read(_EDGE))
        if size > 2 * _EDGE:
            fh.seek(-_EDGE, os.SEEK_END)
            digest.update(fh.read(_EDGE))
    return digest.hexdigest()


def walk(root: Path, extensions: frozenset[str], follow_symlinks: bool = False) -> Iterator[Stat]:
    """Yield the photos below ``root`` (relative '/' paths), honouring marker files."""
    root_real = root.resolve()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
            continue
        names = {e.name for e in entries}
        if any(m in names for m in MARKERS):
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink():
                    if not follow_symlinks:
                        continue
                    target = Path(entry.path).resolve()
                    if not target.is_relative_to(root_real):
                        log.warning("skipping %s: symlink leaves the mount", entry.path)
                        continue
                if entry.is_dir(follow_symlinks=follow_symlinks):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=follow_symlinks):
                    if Path(entry.name).suffix.lower().lstrip(".") not in extensions:
                        continue
                    st = entry.stat(follow_symlinks=follow_symlinks)
                    rel = Path(entry.path).relative_to(root).as_posix()
                    yield Stat(rel, st.st_size, st.st_mtime_ns)
            except OSError as exc:
                log.warning("skipping %s: %s", entry.path, exc)


class Source(Protocol):
    """Lists a mount's photos and fingerprints one (see recognize.jobs.sources)."""

    def list(self) -> Iterable[Stat]: ...

    def fingerprint(self, stat: Stat) -> str: ...


def crawl(
    store: Store,
    mount: MountRef,
    stages: Sequence[str],
    source: Source,
    *,
    progress: Callable[[int], None] | None = None,
) -> CrawlResult:
    """Bring the store in step with the mount's files; queue ``stages`` for what is new."""
    result = CrawlResult(mount.name)
    with store.session() as session:
        known = photo_store.known_files(session, mount.id)
    found: list[Stat] = []
    for stat in source.list():
        found.append(stat)
        if progress and len(found) % 100 == 0:
            progress(len(found))
    result.seen = len(found)
    seen_paths = {s.path for s in found}
    missing = {p: k for p, k in known.items() if p not in seen_paths}
    fresh: list[Stat] = []
    changed: list[tuple[int, FoundFile]] = []
    for stat in found:
        old = known.get(stat.path)
        if old is None:
            fresh.append(stat)
        elif old.size != stat.size or old.mtime_ns != stat.mtime_ns:
            info = _found(source, stat)
            if info is None:
                continue
            changed.append((old.id, info))
        else:
            result.unchanged += 1
    _apply_changed(store, mount, changed, known, stages, result)
    _apply_fresh(store, mount, source, fresh, missing, stages, result)
    with store.session() as session:
        gone = list(missing.values())
        for start in range(0, len(gone), CHUNK):
            photo_store.remove(session, [k.id for k in gone[start : start + CHUNK]])
        result.deleted = len(gone)
        photo_store.mark_crawled(session, mount.id)
    log.info(
        "crawled %s: %d files, %d new, %d changed, %d moved, %d deleted",
        mount.name, result.seen, result.new, result.changed, result.moved, result.deleted,
    )
    return result


def _found(source: Source, stat: Stat) -> FoundFile | None:
    try:
        return FoundFile(stat.path, stat.size, stat.mtime_ns, source.fingerprint(stat))
    except OSError as exc:
        log.warning("skipping %s: %s", stat.path, exc)
        return None


def _apply_changed(
    store: Store,
    mount: MountRef,
    changed: list[tuple[int, FoundFile]],
    known: dict[str, KnownFile],
    stages: Sequence[str],
    result: CrawlResult,
) -> None:
    by_id = {k.id: k for k in known.values()}
    touched = [(pid, f) for pid, f in changed if by_id[pid].fingerprint == f.fingerprint]
    really = [(pid, f) for pid, f in changed if by_id[pid].fingerprint != f.fingerprint]
    with store.session() as session:
        for pid, f in touched:
            photo_store.move(session, pid, f)  # same path: just the new mtime
        for start in range(0, len(really), CHUNK):
            photo_store.update_changed(session, mount.id, really[start : start + CHUNK], stages)
    result.changed = len(really)
    result.unchanged += len(touched)


def _apply_fresh(
    store: Store,
    mount: MountRef,
    source: Source,
    fresh: list[Stat],
    missing: dict[str, KnownFile],
    stages: Sequence[str],
    result: CrawlResult,
) -> None:
    by_content = {(k.size, k.fingerprint): (p, k) for p, k in missing.items()}
    missing_sizes = {k.size for k in missing.values()}
    for start in range(0, len(fresh), CHUNK):
        new: list[FoundFile] = []
        with store.session() as session:
            for stat in fresh[start : start + CHUNK]:
                info = _found(source, stat)
                if info is None:
                    continue
                if stat.size in missing_sizes and (info.size, info.fingerprint) in by_content:
                    old_path, old = by_content.pop((info.size, info.fingerprint))
                    missing.pop(old_path, None)
                    photo_store.move(session, old.id, info)
                    result.moved += 1
                else:
                    new.append(info)
            photo_store.add_files(session, mount.id, new, stages)
        result.new += len(new)
