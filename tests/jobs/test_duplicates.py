"""Near-duplicates: the pure grouping, and the job that stores what the DAV tree and the API read."""

from __future__ import annotations

import base64
import shutil

import numpy as np
import pytest

from recognize import config as config_mod
from recognize.clustering.duplicates import DuplicateParams, distance, groups
from recognize.jobs.duplicates import find_duplicates
from recognize.jobs.scan import scan
from recognize.media import MediaOptions, decode_only
from recognize.media.hashing import near_code, trim_bars
from recognize.store import accounts
from recognize.store import duplicates as duplicate_store
from recognize.store.opening import open_store
from tests.conftest import TEST_PASSWORD, shared, write_config

PARAMS = DuplicateParams(max_distance=72, mirrored=True)
AUTH = {"Authorization": "Basic " + base64.b64encode(f"alice:{TEST_PASSWORD}".encode()).decode()}
BOB = {"Authorization": "Basic " + base64.b64encode(f"bob:{TEST_PASSWORD}".encode()).decode()}


def _code(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 2, 512).astype(np.uint8)


def _hex(bits: np.ndarray) -> str:
    return np.packbits(bits).tobytes().hex()


def _flip(bits: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    out = bits.copy()
    where = rng.choice(256, n, replace=False)
    out[where] ^= 1  # the plain half only
    return out


def test_groups_are_connected_components_of_close_codes() -> None:
    rng = np.random.default_rng(1)
    a = _code(rng)
    b = _flip(a, 60, rng)  # within 72 of a
    c = _flip(b, 60, rng)  # within 72 of b, about 120 from a: joins through b
    lone = _code(rng)
    items = [(10, _hex(a)), (11, _hex(lone)), (12, _hex(b)), (13, _hex(c)), (14, None)]
    assert groups(items, PARAMS) == [[10, 12, 13]]  # type: ignore[arg-type]
    assert groups(items, DuplicateParams(max_distance=40, mirrored=True)) == []  # type: ignore[arg-type]
    assert groups([(1, _hex(a))], PARAMS) == []


def test_mirrored_matches_count_only_when_asked() -> None:
    rng = np.random.default_rng(2)
    a, other = _code(rng), _code(rng)
    mirrored = np.concatenate([other[:256], a[:256]])  # its mirror half is a's plain half
    items = [(1, _hex(a)), (2, _hex(mirrored))]
    assert groups(items, PARAMS) == [[1, 2]]
    assert groups(items, DuplicateParams(max_distance=72, mirrored=False)) == []
    assert distance(_hex(mirrored), _hex(a), mirrored=True) == 0


def test_letterbox_bars_are_trimmed() -> None:
    photo = np.random.default_rng(3).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    boxed = np.zeros((500, 400, 3), dtype=np.uint8)
    boxed[100:400] = photo
    assert trim_bars(boxed).shape == (300, 400, 3)
    flat = np.full((200, 200, 3), 40, dtype=np.uint8)
    assert trim_bars(flat).shape == flat.shape  # nothing but "bars": kept whole


def test_real_variants_group_and_different_photos_do_not() -> None:
    root = shared("duplicates")
    names = ["upstream/imagenet_n01530575_brambling.JPEG",
             *(f"derived/n01530575_brambling__{v}" for v in
               ("resize50.jpg", "q20.jpg", "crop6pct.jpg", "bright_contrast.jpg",
                "rot3deg.jpg")),
             "upstream/facerec_obama.jpg", "upstream/facerec_obama-480p.jpg",
             "upstream/deepface_img11.jpg", "upstream/deepface_img11_reflection.jpg",
             "upstream/imagenet_n09246464_cliff.JPEG", "upstream/ianare_DSCN0010.jpg",
             "upstream/ianare_DSCN0012.jpg"]
    codes = [(n, near_code(decode_only(root / name, MediaOptions())))
             for n, name in enumerate(names)]
    assert groups(codes, PARAMS) == [[0, 1, 2, 3, 4, 5], [6, 7], [8, 9]]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, password_hash: str):
    root = shared("duplicates")
    folder = tmp_path_factory.mktemp("dups")
    photos = folder / "photos"
    photos.mkdir()
    for name in ("upstream/compreface_einstein.jpeg", "upstream/compreface_einstein.png",
                 "upstream/photoprism_Iceland-P3.jpg", "upstream/ianare_DSCN0010.jpg"):
        shutil.copy(root / name, photos / name.split("/")[1])
    path = write_config(folder, {"photos": photos}, password_hash,
                        faces={"enabled": False}, tags={"enabled": False})
    settings = config_mod.load(path)
    store = open_store(settings)
    report = scan(settings, store)
    return settings, store, report


def test_scan_runs_the_job_and_stores_groups(indexed) -> None:
    settings, store, report = indexed
    assert report.duplicates is not None and report.duplicates.groups == 1
    with store.reading() as session:
        alice, bob = accounts.user_id(session, "alice"), accounts.user_id(session, "bob")
        assert alice is not None and bob is not None
        mounts = [m.id for m in accounts.mounts_of(session, "alice")]
        found = duplicate_store.groups(session, alice, mounts)
        assert len(found) == 1 and len(found[0]) == 2
        assert duplicate_store.groups(session, bob, mounts) == []  # not bob's photos
    again = find_duplicates(settings, store)  # idempotent
    assert again.groups == 1 and again.grouped == 2


def test_api_lists_the_stored_groups(indexed) -> None:
    from recognize.api import create_app

    settings, store, _ = indexed
    client = create_app(settings, store).test_client()
    data = client.get("/api/v1/duplicates", headers=AUTH).json
    assert data["total"] == 1
    assert sorted(p["name"] for p in data["items"][0]["photos"]) == [
        "compreface_einstein.jpeg", "compreface_einstein.png"]
    assert client.get("/api/v1/duplicates", headers=BOB).json["total"] == 0


def test_disabled_job_stores_no_groups(indexed) -> None:
    settings, store, _ = indexed
    off = settings.model_copy(update={"duplicates": settings.duplicates.model_copy(
        update={"enabled": False})})
    assert find_duplicates(off, store).groups == 0
    with store.reading() as session:
        assert duplicate_store.groups(session, duplicate_store.user_ids(session)[0],
                                      list(range(1, 10))) == []
    assert find_duplicates(settings, store).groups == 1  # back on: found again


def test_a_run_costs_what_changed(indexed) -> None:
    """Nothing changed: nothing compared; a photo added: an incremental run with the same
    groups as a full one; a missing cache: one full run."""
    from recognize.store import photos as photo_store

    settings, store, _ = indexed
    find_duplicates(settings, store)
    again = find_duplicates(settings, store)
    assert (again.unchanged, again.incremental, again.groups, again.grouped) == (1, 0, 1, 2)
    with store.session() as session:  # a copy of a grouped photo's code, as a new photo
        alice = accounts.user_id(session, "alice")
        mounts = [m.id for m in accounts.mounts_of(session, "alice")]
        first = duplicate_store.groups(session, alice, mounts)[0][0]
        code = dict(duplicate_store.codes(session, alice))[first]
        [new] = photo_store.add_files(
            session, mounts[0], [photo_store.FoundFile("copy.jpg", 1, 1, "x" * 40)], [])
        photo_store.save_media(session, new, {"near_code": code}, None)
    try:
        step = find_duplicates(settings, store)
        assert (step.unchanged, step.incremental, step.groups, step.grouped) == (0, 1, 1, 3)
        cache = settings.store.data_dir / "cache" / "duplicates"
        shutil.rmtree(cache)
        with store.session() as session:
            photo_store.save_media(session, new, {"near_code": code[::-1]}, None)
        full = find_duplicates(settings, store)
        assert (full.unchanged, full.incremental, full.groups, full.grouped) == (0, 0, 1, 2)
    finally:
        with store.session() as session:
            photo_store.remove(session, [new])
        find_duplicates(settings, store)
