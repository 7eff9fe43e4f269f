"""What may never be merged: groups pinned to two persons, a face with a person it must not
join, and two faces of one photo (unless the user put both into the same person).

Kept per group of faces while groups merge. Person codes are small integers (>= 0); a photo's
entry in a group is the person code its faces there are pinned to, or ``UNPINNED`` when any of
them is not pinned. Only photos with two or more faces are tracked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

UNPINNED = -1


class GroupRules:
    """Pins, bans and photos of every group (indexed 0..G-1)."""

    def __init__(self, count: int) -> None:
        self.pin = np.full(count, UNPINNED, dtype=np.int64)
        self.bans: dict[int, set[int]] = {}
        self.photos: dict[int, dict[int, int]] = {}

    @classmethod
    def of_faces(cls, group_of: np.ndarray, count: int, pins: np.ndarray,
                 bans: dict[int, set[int]] | None = None,
                 photo_ids: Sequence[int] | np.ndarray | None = None) -> GroupRules:
        """Rules of the starting groups from per-face pins (-1 = none), bans (face row ->
        person codes) and photo ids (None: every face is its own photo)."""
        rules = cls(count)
        pinned = pins >= 0
        rules.pin[group_of[pinned]] = pins[pinned]
        for row, banned in (bans or {}).items():
            if banned:
                rules.bans.setdefault(int(group_of[row]), set()).update(banned)
        if photo_ids is not None:
            photos = np.asarray(photo_ids)
            _, inverse, counts = np.unique(photos, return_inverse=True, return_counts=True)
            for row in np.flatnonzero(counts[inverse] > 1).tolist():
                group, photo = int(group_of[row]), int(inverse[row])
                table = rules.photos.setdefault(group, {})
                code = int(pins[row])
                if photo in table and table[photo] != code:
                    code = UNPINNED
                table[photo] = code
        return rules

    def special(self) -> np.ndarray:
        """Groups whose merges need the slow checks (bans or shared photos)."""
        flag = np.zeros(len(self.pin), dtype=bool)
        flag[list(self.bans)] = True
        flag[list(self.photos)] = True
        return flag

    def pins_clash(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Vectorised: pairs pinned to two different persons."""
        pa, pb = self.pin[a], self.pin[b]
        return (pa >= 0) & (pb >= 0) & (pa != pb)

    def allowed(self, a: int, b: int) -> bool:
        """May groups ``a`` and ``b`` become one person (bans and photos; pins checked too)?"""
        pa, pb = int(self.pin[a]), int(self.pin[b])
        if pa >= 0 and pb >= 0 and pa != pb:
            return False
        if (pa >= 0 and pa in self.bans.get(b, ())) or (pb >= 0 and pb in self.bans.get(a, ())):
            return False
        mine, theirs = self.photos.get(a), self.photos.get(b)
        if mine and theirs:
            small, large = (mine, theirs) if len(mine) <= len(theirs) else (theirs, mine)
            for photo, code in small.items():
                other = large.get(photo)
                if other is not None and (code < 0 or other != code):
                    return False
        return True

    def absorb(self, a: int, b: int) -> None:
        """Group ``b`` joins group ``a``."""
        self.pin[a] = max(self.pin[a], self.pin[b])
        if b in self.bans:
            self.bans.setdefault(a, set()).update(self.bans.pop(b))
        if b in self.photos:
            theirs = self.photos.pop(b)
            mine = self.photos.setdefault(a, {})
            if len(mine) < len(theirs):
                mine, theirs = theirs, mine
                self.photos[a] = mine
            mine.update(theirs)
