"""Labelled photo folders -> every face the project's own pipeline finds, cached per folder.

A folder has the ``faces/`` layout: ``labels.csv`` with columns ``file``, ``kind`` and
``identity``; each ``identity`` photo shows one labelled person, its largest face. The faces
are computed by the job cascade's own faces stage (``recognize.jobs.stages.faces``,
so detector and descriptor settings are the configured ones) and cached under
``~/.cache/recognize-bench`` keyed by the folder, its labels, the stage version and the
decode size (``cache_path``): the first run embeds every photo (minutes), later runs load the
cache (milliseconds); a new detector, landmarker or descriptor version recomputes.
"""

from __future__ import annotations

import csv
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from recognize.config import Settings
    from recognize.jobs.stages.faces import FacesStage

CACHE = Path(os.environ.get("RECOGNIZE_BENCH_CACHE", Path.home() / ".cache" / "recognize-bench"))


@dataclass(frozen=True)
class FaceSet:
    """Every face found in a folder's identity photos."""

    name: str
    embeddings: np.ndarray
    """(F, 128) float32, one row per detected face."""
    photo: np.ndarray
    """(F,) photo number (0..P-1) of each face."""
    labelled: np.ndarray
    """(F,) True for the largest face of its photo: the labelled person."""
    identity: np.ndarray
    """(F,) identity name of a labelled face ("" for the others)."""
    box_px: np.ndarray
    """(F,) shorter side of the face box in original-photo pixels."""
    score: np.ndarray
    """(F,) detector score."""
    photos: int
    photos_without_face: int
    seconds: float
    """Time the pipeline took (0 when read from the cache's first run: see ``cached``)."""
    cached: bool

    def labelled_rows(self) -> np.ndarray:
        return np.flatnonzero(self.labelled)


def has_identities(folder: Path) -> bool:
    labels = folder / "labels.csv"
    if not labels.is_file():
        return False
    with labels.open(newline="") as handle:
        return any(r.get("kind") == "identity" and r.get("identity") for r in csv.DictReader(handle))


def labelled_folders(root: Path) -> list[Path]:
    """Every folder directly under ``root`` whose labels.csv names identities."""
    return sorted(p for p in root.iterdir() if p.is_dir() and has_identities(p))


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "labels.csv").open(newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["kind"] == "identity" and r["identity"]]


VARIANTS = ("photo", "gray")
"""How the photos are shown to the pipeline: as they are, or in black and white (a stress
test: the same people in monochrome photos, as in old scanned prints)."""


def load(folder: Path, *, variant: str = "photo", refresh: bool = False) -> FaceSet:
    """The faces of ``folder`` (from the cache when the pipeline and labels are unchanged)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    from recognize.config import Settings
    from recognize.jobs.stages.faces import FacesStage
    from recognize.jobs.stages.media import media_options

    settings = Settings()
    stage = FacesStage(settings)
    folder = folder.resolve()
    m = media_options(settings)
    path = cache_path(folder, stage.version, variant, f"{m.analysis_size}/{m.max_pixels}")
    name = folder.name if variant == "photo" else f"{folder.name}:{variant}"
    if path.exists() and not refresh:
        return _from_npz(name, path)
    found = _embed(folder, stage, settings, variant)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path.with_suffix(".tmp.npz"), **found)  # type: ignore[arg-type]
    os.replace(path.with_suffix(".tmp.npz"), path)
    face_set = _from_npz(name, path)
    return FaceSet(**{**face_set.__dict__, "cached": False})


def cache_path(folder: Path, stage_version: str, variant: str, decode: str) -> Path:
    """Where the faces of ``folder`` are cached: keyed by the folder, its labels, the faces
    stage's version (``FacesStage(...).version``: detector, landmarks, descriptor and the
    detector settings, so a changed detector recomputes), how the photos are decoded for it
    (``decode``: analysis size and pixel limit) and the variant."""
    key = hashlib.sha256(
        f"{folder}\n{stage_version}\n{variant}\n{decode}\n".encode()
        + (folder / "labels.csv").read_bytes()
    ).hexdigest()[:16]
    return CACHE / f"{folder.name}-{variant}-{key}.npz"


def _from_npz(name: str, path: Path) -> FaceSet:
    data = np.load(path, allow_pickle=False)
    return FaceSet(
        name=name, embeddings=data["embeddings"].astype(np.float32), photo=data["photo"],
        labelled=data["labelled"], identity=data["identity"].astype(str), box_px=data["box_px"],
        score=data["score"], photos=int(data["photos"]),
        photos_without_face=int(data["photos_without_face"]), seconds=float(data["seconds"]),
        cached=True,
    )


def _original_size(path: Path) -> tuple[int, int]:
    import pyvips

    image = pyvips.Image.new_from_file(str(path))
    turned = image.get_typeof("orientation") and image.get("orientation") in (5, 6, 7, 8)
    return (image.height, image.width) if turned else (image.width, image.height)


def _embed(folder: Path, stage: FacesStage, settings: Settings, variant: str,
           ) -> dict[str, np.ndarray]:
    from recognize.jobs.stages import Work
    from recognize.jobs.stages.media import media_options
    from recognize.media import MediaResult, Metadata, decode
    from recognize.store.queue import Claimed

    options = media_options(settings)
    rows = _rows(folder)
    embeddings, photo, labelled, identity, box_px, score = [], [], [], [], [], []
    missed = 0
    start = time.perf_counter()
    for number, row in enumerate(rows):
        pixels = decode(folder / row["file"], options, None)
        if variant == "gray":
            luma = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
            pixels = np.repeat(np.clip(luma + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
        work = Work(Claimed(number, 0, "", "", 0),
                    outputs={"media": MediaResult(Metadata(), pixels=pixels)})
        faces = stage.compute(work).rows
        if not faces:
            missed += 1
            continue
        width, height = _original_size(folder / row["file"])
        largest = max(range(len(faces)), key=lambda i: faces[i].w * faces[i].h)
        for i, face in enumerate(faces):
            embeddings.append(np.frombuffer(face.embedding, dtype="<f4"))
            photo.append(number)
            labelled.append(i == largest)
            identity.append(row["identity"] if i == largest else "")
            box_px.append(min(face.w * width, face.h * height))
            score.append(face.score)
    return {
        "embeddings": np.array(embeddings, dtype=np.float32).reshape(-1, 128),
        "photo": np.array(photo, dtype=np.int64), "labelled": np.array(labelled, dtype=bool),
        "identity": np.array(identity, dtype=str), "box_px": np.array(box_px, dtype=np.float64),
        "score": np.array(score, dtype=np.float64), "photos": np.array(len(rows)),
        "photos_without_face": np.array(missed), "seconds": np.array(time.perf_counter() - start),
    }
