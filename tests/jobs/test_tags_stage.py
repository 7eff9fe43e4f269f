"""The tags stage's version: the classifier, the rules file and the rule's code."""

from __future__ import annotations

import hashlib

import pytest

from recognize.config import Settings
from recognize.inference.wordnet import DEBIAN_WORDNET
from tests.conftest import MODELS_CACHE


def test_the_version_covers_the_tag_rule_code() -> None:
    if not (DEBIAN_WORDNET / "data.noun").is_file():
        pytest.skip(f"WordNet is absent from {DEBIAN_WORDNET}")
    from recognize.jobs.config_check import tag_rules_path
    from recognize.jobs.stages import STAGES
    from recognize.jobs.stages.tags import rule_digest
    from recognize.store.models import STAGE_VERSION_LENGTH

    settings = Settings(inference={"cache_dir": str(MODELS_CACHE)})
    stage = next(e for e in STAGES if e.name == "tags").build(settings)
    rules = tag_rules_path(settings).read_bytes() + rule_digest().encode()
    digest = hashlib.sha256(rules).hexdigest()[:8]
    assert stage.version == f"{stage.classifier.version}+rules@{digest}"
    assert len(stage.version) <= STAGE_VERSION_LENGTH  # PostgreSQL refuses a longer one
