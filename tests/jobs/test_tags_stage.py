"""The tags stage's version: the classifier, the rules file and the rule's code."""

from __future__ import annotations

import pytest

from recognize.config import Settings
from recognize.inference.wordnet import DEBIAN_WORDNET


def test_the_version_covers_the_tag_rule_code(tmp_path) -> None:
    if not (DEBIAN_WORDNET / "data.noun").is_file():
        pytest.skip(f"WordNet is absent from {DEBIAN_WORDNET}")
    from recognize.jobs.stages import STAGES
    from recognize.jobs.stages.tags import rule_digest

    settings = Settings(inference={"cache_dir": str(tmp_path)})
    stage = next(e for e in STAGES if e.name == "tags").build(settings)
    assert stage.version.startswith(stage.classifier.version + "+rules@")
    assert stage.version.endswith(f"+tags@{rule_digest()}")
