"""How photos are named inside a folder (see docs/dav.md, "File names").

An entry is called by its photo's file name. When several entries of one folder share a
name, they are ordered by photo id (then face position) and the second becomes
``IMG_1 (2).jpg``, the third ``IMG_1 (3).jpg``; a number is skipped when a photo of the
folder really has that name. In ``unassigned/`` a photo with several faces is listed once
per unassigned face as ``IMG_1 (face 2).jpg`` (faces counted from the left).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
_SUFFIX = re.compile(r"^(?P<stem>.*) \((?P<n>\d{1,4})\)(?P<ext>\.[^.]*)?$")
MAX_SUFFIX = 500


def split(name: str) -> tuple[str, str]:
    """``"a.b.jpg"`` → ``("a.b", ".jpg")``; hidden or extension-less names keep no ext."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, "." + ext


def suffixed(name: str, n: int) -> str:
    stem, ext = split(name)
    return f"{stem} ({n}){ext}"


def face_name(name: str, position: int) -> str:
    if not position:
        return name
    stem, ext = split(name)
    return f"{stem} (face {position}){ext}"


def unique(items: Iterable[T], base: Callable[[T], str]) -> list[tuple[str, T]]:
    """Give every item (already in stable order) a name unique within the list."""
    items = list(items)
    taken = {base(i) for i in items}
    used: set[str] = set()
    out: list[tuple[str, T]] = []
    for item in items:
        name = base(item)
        if name in used:
            n = 2
            while suffixed(name, n) in taken or suffixed(name, n) in used:
                n += 1
            name = suffixed(name, n)
        used.add(name)
        out.append((name, item))
    return out


def candidates(name: str) -> list[str] | None:
    """File names whose photos decide who is called ``name`` (None: list the whole folder).

    ``IMG_1 (3).jpg`` is either a photo of that name, or the third ``IMG_1.jpg`` — which
    also depends on photos really called ``IMG_1 (2).jpg``.
    """
    match = _SUFFIX.match(name)
    if not match:
        return [name]
    n = int(match["n"])
    if n > MAX_SUFFIX:
        return None
    base = match["stem"] + (match["ext"] or "")
    return [name, base, *(suffixed(base, k) for k in range(2, n))]


def pick(name: str, items: Sequence[T], base: Callable[[T], str]) -> T | None:
    for candidate, item in unique(items, base):
        if candidate == name:
            return item
    return None


def safe(name: str) -> str:
    """A folder name that is one path segment (no slashes, no dot-names)."""
    name = name.replace("/", "∕").replace("\\", "∖").strip()
    return name if name not in ("", ".", "..") else f"_{name}_"


_UNIQUE = re.compile(r" \(\d{1,4}\)$")
_FACE = re.compile(r" \(face \d{1,4}\)$")


def entry_stems(name: str) -> list[str]:
    """The photo name stems an ``unassigned/`` entry may come from: ``IMG_1 (face 2) (3).jpg``
    is a face of a photo ``IMG_1 (face 2) (3)``, ``IMG_1 (face 2)`` or ``IMG_1`` (``.jpg``,
    ``.heic`` or no extension)."""
    stems = [name.removesuffix(".jpg")]
    for pattern in (_UNIQUE, _FACE):
        stems += [pattern.sub("", s) for s in stems if pattern.search(s)]
    return list(dict.fromkeys(stems))
