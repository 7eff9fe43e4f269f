"""Real faces (faces_lfw/, the project's own pipeline): look-alikes, photos, arrivals."""

from __future__ import annotations

import numpy as np
import pytest

from bench.clustering_eval.incremental import simulate
from bench.clustering_eval.metrics import evaluate
from recognize.clustering import (
    Constraint,
    ConstraintKind,
    KnownFaces,
    assign,
    cluster,
    update_persons,
)
from tests.clustering.conftest import RealFaces

LOOK_ALIKES = (("serena_williams", "venus_williams"), ("hu_jintao", "wen_jiabao"),
               ("megawati_sukarnoputri", "yoriko_kawaguchi"), ("roh_moo-hyun", "kim_dae-jung"))
"""Pairs that dlib's descriptor puts close together; the old clustering merged each."""
pytestmark = pytest.mark.slow  # the fixture embeds 312 photos (15-30 s)


def test_look_alikes_stay_apart(real_faces: RealFaces) -> None:
    labels = cluster(real_faces.embeddings)
    q = evaluate(labels, real_faces.identity)
    assert q.bcubed_precision >= 0.97 and q.bcubed_recall >= 0.95
    for a, b in LOOK_ALIKES:
        sisters = labels[np.isin(real_faces.identity, (a, b))]
        first = labels[real_faces.identity == a]
        assert np.bincount(first[first >= 0]).max() >= 7, a
        assert len(set(sisters[sisters >= 0].tolist())) >= 2, (a, b)


def _one_person(real_faces: RealFaces, name: str, count: int) -> tuple[np.ndarray, list[int]]:
    rows = np.flatnonzero(real_faces.identity == name)[:count]
    return real_faces.embeddings[rows], rows.tolist()


def test_two_faces_of_one_photo_are_never_one_person(real_faces: RealFaces) -> None:
    x, _ = _one_person(real_faces, "kofi_annan", 12)
    together = cluster(x)
    assert len(set(together.tolist())) == 1 and together[0] >= 0  # one person without photos
    photos = [i // 2 for i in range(len(x))]  # as if each photo showed him twice
    labels = cluster(x, photo_ids=photos)
    for photo in set(photos):
        pair = labels[[i for i, p in enumerate(photos) if p == photo]]
        assert pair[0] < 0 or pair[0] != pair[1]
    ids = [f"f{i}" for i in range(len(x))]
    for full in (False, True):
        result = update_persons(x, ids, {}, photo_ids=photos, full=full)
        persons = [(result.get(ids[i]), photos[i]) for i in range(len(x)) if ids[i] in result]
        assert len(persons) == len(set(persons)) and len(persons) >= len(x) // 2


def test_the_user_may_put_two_faces_of_one_photo_into_one_person(real_faces: RealFaces) -> None:
    x, _ = _one_person(real_faces, "kofi_annan", 8)
    ids = [f"f{i}" for i in range(len(x))]
    photos = [0, 0, 1, 2, 3, 4, 5, 6]
    pins = [Constraint("f0", "kofi", ConstraintKind.MUST_LINK),
            Constraint("f1", "kofi", ConstraintKind.MUST_LINK)]
    for full in (False, True):
        result = update_persons(x, ids, {}, photo_ids=photos, constraints=pins, full=full)
        assert result["f0"] == result["f1"] == "kofi"
        assert all(result.get(f) == "kofi" for f in ids[2:])  # the others join him


def test_a_new_face_does_not_join_a_person_holding_its_photo(real_faces: RealFaces) -> None:
    x, _ = _one_person(real_faces, "kofi_annan", 8)
    known = KnownFaces(x[:6], ["kofi"] * 6, photo_ids=[0, 1, 2, 3, 4, 5])
    assert assign(x[6:], known, new_photo_ids=[10, 11]) == ["kofi", "kofi"]
    assert assign(x[6:], known, new_photo_ids=[3, 11]) == [None, "kofi"]
    assert assign(x[6:], known, new_photo_ids=[11, 11]).count("kofi") == 1
    ids = [f"f{i}" for i in range(8)]
    current = {f: "kofi" for f in ids[:6]}
    photos = [0, 1, 2, 3, 4, 5, 3, 11]
    again = update_persons(x, ids, current, photo_ids=photos, named_persons={"kofi"})
    assert "f6" not in again and again["f7"] == "kofi"
    again = update_persons(x, ids, current, photo_ids=photos)  # unnamed: decided again
    assert again.get("f6") != again["f3"] and again["f7"] == "kofi"


def test_photos_arriving_in_batches_give_the_persons_of_one_batch(real_faces: RealFaces) -> None:
    """5 batches in random order. Nobody names anything: the persons end as one batch gives
    them. Every person named as soon as it exists: no named person loses a face."""
    x, y, photo = real_faces.embeddings, real_faces.identity, real_faces.photo
    for seed in range(3):
        run = simulate(x, y, photo, batches=5, seed=seed, naming="nobody")
        assert run.bcubed_f1 >= run.one_batch_f1 - 0.02, run
        run = simulate(x, y, photo, batches=5, seed=seed, naming="every batch")
        assert run.named_faces_lost == 0
        assert run.bcubed_f1 >= 0.95 and run.bcubed_f1 >= run.one_batch_f1 - 0.04, run
