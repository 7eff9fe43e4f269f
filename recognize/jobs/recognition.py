"""The recognition stages (tags; faces join here) built from the config, run on decoded pixels."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from recognize.config import Settings, section_values
from recognize.inference.base import Runtime
from recognize.jobs.stages import PhotoWork, Stage
from recognize.store import photos as photo_store
from recognize.store.faces import FaceRow, replace_faces


def runtime(settings: Settings) -> Runtime:
    """The one place the models' device, threads and precision come from."""
    return Runtime(
        device=settings.inference.device,
        threads=settings.jobs.threads,
        precision=settings.inference.precision,
        cache_dir=settings.models_dir(),
    )


def tags_stage(settings: Settings) -> Stage:
    from recognize.inference.classify import load_classifier
    from recognize.inference.classify_tags import tags_for
    from recognize.jobs.config_check import tag_rules, tag_rules_path

    classifier = load_classifier(settings.tags.model, runtime(settings))
    rules_path = tag_rules_path(settings)  # the same parser checks PATCH /config and config check
    rules = tag_rules(settings)
    rules_digest = hashlib.sha256(rules_path.read_bytes()).hexdigest()[:8]
    source = f"classifier:{classifier.version}"

    def compute(_ctx: Any, work: PhotoWork) -> Any:
        if work.media is None or work.media.pixels is None:
            return []
        predictions = classifier.predict([work.media.pixels], top_k=rules.top_k)[0]
        return tags_for(predictions, rules, source=source)

    def save(session: Session, work: PhotoWork, tags: Any) -> None:
        photo_store.set_tags(
            session,
            work.photo_id,
            [(t.name, "classifier", t.confidence) for t in tags],
            source="classifier",
            synsets={t.name: (t.synset, t.parent) for t in tags},
        )

    return Stage("tags", f"{classifier.version}+rules@{rules_digest}", True, compute, save)


def faces_stage(settings: Settings) -> Stage:
    from recognize.inference.faces import DetectorSettings, FaceAnalyzer, QualitySettings

    f = settings.faces
    analyzer = FaceAnalyzer.from_specs(
        runtime(settings), DetectorSettings(**section_values(f, DetectorSettings)),
        mirror=f.mirror, quality=QualitySettings(**section_values(f, QualitySettings, "quality_")))

    # the full identity names three weights; the store keeps a short digest of it
    version = "faces@" + hashlib.sha256(analyzer.version.encode()).hexdigest()[:16]
    version += detector_suffix(settings)

    def compute(_ctx: Any, work: PhotoWork) -> Any:
        if work.media is None or work.media.pixels is None:
            return []
        pixels = work.media.pixels
        height, width = pixels.shape[:2]
        return [
            FaceRow(
                x=face.box[0] / width, y=face.box[1] / height,
                w=face.box[2] / width, h=face.box[3] / height,
                score=float(face.score),
                landmarks=[[float(x) / width, float(y) / height] for x, y in face.landmarks],
                embedding=face.embedding.astype("<f4").tobytes(),
                model=version,
                quality=face.quality,
            )
            for face in analyzer.analyze(pixels)
        ]

    def save(session: Session, work: PhotoWork, faces: Any) -> None:
        ids = replace_faces(session, work.photo_id, faces)
        if work.media is not None and work.media.pixels is not None and ids:
            from recognize.jobs.crops import write_face_crops  # from the decode we have

            write_face_crops(settings.store.data_dir, work.media.pixels,
                             [(i, (f.x, f.y, f.w, f.h), f.landmarks) for i, f in zip(ids, faces,
                                                                                strict=True)])

    return Stage("faces", version, True, compute, save)


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


def enabled_stages(settings: Settings) -> list[Stage]:
    stages: list[Stage] = []
    if settings.faces.enabled:
        stages.append(faces_stage(settings))
    if settings.tags.enabled:
        stages.append(tags_stage(settings))
    return stages


def stage_names(settings: Settings) -> list[str]:
    """The pipeline's stage names, without loading any model."""
    return [
        "media",
        *(["faces"] if settings.faces.enabled else []),
        *(["tags"] if settings.tags.enabled else []),
    ]
