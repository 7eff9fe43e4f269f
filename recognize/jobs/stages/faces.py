"""The faces stage: detect, align, embed on the media stage's decode; saves the face rows
(keeping the rows of faces found again, so persons and corrections stay attached) and
writes each face's crop, cut and encoded from that same decode while computing (the batch's
write transaction only names the files by the faces' ids)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from recognize.config import Settings, section_values
from recognize.jobs.stages import Stage, Work, runtime
from recognize.jobs.stages.media import pixels_of
from recognize.store.faces import FaceRow, replace_faces


def detector_suffix(settings: Settings) -> str:
    """Part of the faces stage version: the detector settings, when not the defaults (so a
    changed threshold re-runs the stage on every photo; default installs keep their version)."""
    from recognize.config import FacesSettings

    keys = [k for k in FacesSettings.model_fields if k != "enabled"]
    now = {k: getattr(settings.faces, k) for k in keys}
    default = {k: getattr(FacesSettings(), k) for k in keys}
    if now == default:
        return ""
    return "+det@" + hashlib.sha256(repr(sorted(now.items())).encode()).hexdigest()[:8]


@dataclass
class FoundFaces:
    """What the stage found in a photo: the face rows and each one's crop (JPEG bytes)."""

    rows: list[FaceRow] = field(default_factory=list)
    crops: list[bytes] = field(default_factory=list)


class FacesStage(Stage):
    name = "faces"
    needs = ("media",)
    changes_faces = True

    def __init__(self, settings: Settings) -> None:
        from recognize.inference.faces import DetectorSettings, FaceAnalyzer, QualitySettings

        f = settings.faces
        self.data_dir = settings.store.data_dir
        self.analyzer = FaceAnalyzer.from_specs(
            runtime(settings), DetectorSettings(**section_values(f, DetectorSettings)),
            mirror=f.mirror,
            quality=QualitySettings(**section_values(f, QualitySettings, "quality_")))
        # the full identity names three weights; the store keeps a short digest of it
        self.version = ("faces@" + hashlib.sha256(self.analyzer.version.encode()).hexdigest()[:16]
                        + detector_suffix(settings))

    def compute(self, work: Work) -> FoundFaces:
        pixels = pixels_of(work)
        if pixels is None:
            return FoundFaces()
        from recognize.jobs.crops import encode_face_crop

        height, width = pixels.shape[:2]
        rows = [
            FaceRow(
                x=face.box[0] / width, y=face.box[1] / height,
                w=face.box[2] / width, h=face.box[3] / height,
                score=float(face.score),
                landmarks=[[float(x) / width, float(y) / height] for x, y in face.landmarks],
                embedding=face.embedding.astype("<f4").tobytes(),
                model=self.version,
                quality=face.quality,
            )
            for face in self.analyzer.analyze(pixels)
        ]
        crops = [encode_face_crop(pixels, (f.x, f.y, f.w, f.h), f.landmarks) for f in rows]
        return FoundFaces(rows, crops)

    def save(self, session: Session, work: Work, output: Any) -> None:
        found: FoundFaces = output
        ids = replace_faces(session, work.claim.photo_id, found.rows)
        if ids:
            from recognize.jobs.crops import write_face_crops

            write_face_crops(self.data_dir,
                             [(i, (f.x, f.y, f.w, f.h), f.landmarks, crop)
                              for i, f, crop in zip(ids, found.rows, found.crops, strict=True)])


def build(settings: Settings) -> FacesStage:
    return FacesStage(settings)
