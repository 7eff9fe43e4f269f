"""The objects stage: the object detector (NanoDet, COCO's 80 classes) on the media stage's
decode; saves one tag per class found ("dog", "person", "car", kind ``object``) and, for
two or more people, a count tag ("3 people"); and the boxes themselves (``photo_objects``,
shown in the API's photo answer)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from recognize.config import Settings
from recognize.jobs.stages import Stage, Work, runtime
from recognize.jobs.stages.media import pixels_of
from recognize.store import objects as object_store
from recognize.store import photos as photo_store

SOURCE = "objects"


def count_tags(tags: list[Any]) -> list[tuple[str, str, float]]:
    """The stored ``(name, kind, confidence)`` rows: each class, and "N people" for N >= 2."""
    rows = [(t.name, "object", t.confidence) for t in tags]
    rows += [(f"{t.count} people", "object", t.confidence) for t in tags
             if t.name == "person" and t.count >= 2]
    return rows


class ObjectsStage(Stage):
    name = "objects"
    needs = ("media",)

    def __init__(self, settings: Settings) -> None:
        from recognize.inference.objects import load_object_detector

        self.min_score = settings.objects.min_score
        self.detector = load_object_detector(settings.objects.model, runtime(settings))
        # "+boxes": photos done before the boxes were stored are done again
        self.version = f"{self.detector.version}+min{self.min_score:g}+boxes"

    def compute(self, work: Work) -> Any:
        """The detections at or above ``min_score`` (boxes in 0..1 of the photo)."""
        pixels = pixels_of(work)
        if pixels is None:
            return []
        return self.detector.detect(pixels, self.min_score)

    def save(self, session: Session, work: Work, output: Any) -> None:
        from recognize.inference.objects import object_tags

        tags = object_tags(output, self.min_score)
        photo_store.set_tags(session, work.claim.photo_id, count_tags(tags), source=SOURCE)
        object_store.set_objects(session, work.claim.photo_id,
                                 [(d.label, d.score, d.box) for d in output])


def build(settings: Settings) -> ObjectsStage:
    return ObjectsStage(settings)
