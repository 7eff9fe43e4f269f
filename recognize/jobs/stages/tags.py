"""The tags stage: the classifier on the media stage's decode, mapped to WordNet tags by
the tag rules; saves the photo's classifier tags."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from recognize.config import Settings
from recognize.jobs.stages import Stage, Work, runtime
from recognize.jobs.stages.media import pixels_of
from recognize.store import photos as photo_store


def rule_digest() -> str:
    """Digest of the code that turns probabilities into tags (``classify_tags``): part of the
    stage version, so changing the rule re-tags every photo."""
    from recognize.inference import classify_tags as ct
    from recognize.jobs.stages.text import code_digest

    return code_digest((ct.tags_for, ct._fallback, ct.nodes_of, ct._sizes))


class TagsStage(Stage):
    name = "tags"
    needs = ("media",)

    def __init__(self, settings: Settings) -> None:
        from recognize.inference.classify import load_classifier
        from recognize.jobs.config_check import tag_rules, tag_rules_path

        self.classifier = load_classifier(settings.tags.model, runtime(settings))
        rules_path = tag_rules_path(settings)  # the parser PATCH /config and config check use
        self.rules = tag_rules(settings)
        # one digest of the rules file and the rule's code (the version must fit the store)
        rules = hashlib.sha256(rules_path.read_bytes() + rule_digest().encode()).hexdigest()[:8]
        self.source = f"classifier:{self.classifier.version}"
        self.version = f"{self.classifier.version}+rules@{rules}"

    def compute(self, work: Work) -> Any:
        from recognize.inference.classify_tags import tags_for

        pixels = pixels_of(work)
        if pixels is None:
            return []
        predictions = self.classifier.predict([pixels], top_k=self.rules.top_k)[0]
        return tags_for(predictions, self.rules, source=self.source)

    def save(self, session: Session, work: Work, output: Any) -> None:
        photo_store.set_tags(
            session,
            work.claim.photo_id,
            [(t.name, "classifier", t.confidence) for t in output],
            source="classifier",
            synsets={t.name: (t.synset, t.parent) for t in output},
        )


def build(settings: Settings) -> TagsStage:
    return TagsStage(settings)
