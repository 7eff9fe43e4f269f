"""The duplicates job's incremental regrouping gives exactly the groups of a full run."""

from __future__ import annotations

import numpy as np
import pytest

from recognize.clustering.duplicates import DuplicateParams, groups, regroup

RADIUS = 72


def _flip(code: np.ndarray, bits: np.ndarray) -> np.ndarray:
    unpacked = np.unpackbits(code)
    unpacked[bits] ^= 1
    return np.packbits(unpacked)


def _library(rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Codes (plain + mirror, 64 bytes) of scenes with near variants, chains whose ends are
    far apart (a bridge in the middle), mirrored copies and unrelated photos."""
    photos: dict[int, np.ndarray] = {}
    next_id = iter(range(1, 10**6))
    for _ in range(30):  # a scene and 1-3 variants
        base = rng.integers(0, 256, 32, dtype=np.uint8)
        mirror = rng.integers(0, 256, 32, dtype=np.uint8)
        for _ in range(int(rng.integers(2, 5))):
            bits = rng.choice(256, int(rng.integers(0, 40)), replace=False)
            photos[next(next_id)] = np.concatenate([_flip(base, bits), _flip(mirror, bits)])
    for _ in range(10):  # a chain A - B - C: A and C are 120 bits apart, each 60 from B
        bridge = rng.integers(0, 256, 32, dtype=np.uint8)
        order = rng.permutation(256)
        for bits in (order[:60], np.array([], dtype=np.int64), order[60:120]):
            photos[next(next_id)] = np.concatenate([_flip(bridge, bits),
                                                    rng.integers(0, 256, 32, dtype=np.uint8)])
    for _ in range(8):  # a mirrored copy: its code is near the other's mirror code
        code = rng.integers(0, 256, 32, dtype=np.uint8)
        mirror = rng.integers(0, 256, 32, dtype=np.uint8)
        photos[next(next_id)] = np.concatenate([code, mirror])
        photos[next(next_id)] = np.concatenate([_flip(mirror, rng.choice(256, 20)), code])
    for _ in range(60):
        photos[next(next_id)] = rng.integers(0, 256, 64, dtype=np.uint8)
    return photos


def _items(photos: dict[int, np.ndarray]) -> list[tuple[int, str]]:
    return sorted((pid, code.tobytes().hex()) for pid, code in photos.items())


@pytest.mark.parametrize("mirrored", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_regroup_equals_a_full_run_after_adds_changes_and_deletes(seed: int, mirrored: bool) -> None:
    rng = np.random.default_rng(seed)
    params = DuplicateParams(max_distance=RADIUS, mirrored=mirrored)
    photos = _library(rng)
    before = _items(photos)
    old = groups(before, params)
    assert any(len(g) >= 3 for g in old)
    ids = sorted(photos)
    for pid in rng.choice(ids, 12, replace=False):  # deleted: bridges among them, at times
        del photos[int(pid)]
    for pid in rng.choice(sorted(photos), 8, replace=False):  # changed (re-hashed files)
        photos[int(pid)] = rng.integers(0, 256, 64, dtype=np.uint8)
    for n, pid in enumerate(rng.choice(sorted(photos), 10, replace=False)):  # new near copies
        photos[10**6 + n] = _flip(photos[int(pid)], rng.choice(512, 30, replace=False))
    photos[10**6 + 99] = np.array([], dtype=np.uint8)  # a photo without a usable code
    after = _items(photos)
    assert regroup(dict(before), old, after, params) == groups(after, params)


def test_regroup_with_nothing_changed_keeps_the_groups() -> None:
    params = DuplicateParams(max_distance=RADIUS, mirrored=True)
    items = _items(_library(np.random.default_rng(42)))
    old = groups(items, params)
    assert regroup(dict(items), old, items, params) == old


def test_regroup_of_a_bridge_removed_splits_its_group() -> None:
    rng = np.random.default_rng(3)
    params = DuplicateParams(max_distance=RADIUS, mirrored=False)
    bridge = rng.integers(0, 256, 32, dtype=np.uint8)
    order = rng.permutation(256)
    photos = {i: np.concatenate([_flip(bridge, bits), np.zeros(32, np.uint8)])
              for i, bits in enumerate((order[:60], np.array([], dtype=np.int64), order[60:120]), 1)}
    before = _items(photos)
    assert groups(before, params) == [[1, 2, 3]]
    del photos[2]
    assert regroup(dict(before), [[1, 2, 3]], _items(photos), params) == []
