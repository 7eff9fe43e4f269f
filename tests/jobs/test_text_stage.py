"""The text stage (one entry of the stage list) on photos with words drawn by libvips."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from recognize.config import Settings
from recognize.errors import ModelError
from recognize.inference.base import load_manifest
from recognize.inference.ocr import TextLine
from recognize.jobs.stages import STAGES, Work, stage_names
from recognize.jobs.stages.text import text_words
from recognize.store.tags import HIDDEN_TAG_KINDS
from tests.conftest import MODELS_CACHE, shared


def test_text_is_one_entry_off_by_default_and_hidden_from_tags() -> None:
    assert "text" in [e.name for e in STAGES]
    assert "text" not in stage_names(Settings())
    assert "text" in stage_names(Settings(text={"enabled": True}))
    assert "text" in HIDDEN_TAG_KINDS


def test_words_are_normalised() -> None:
    box = (0.0, 0.0, 1.0, 1.0)
    lines = [TextLine("Summer SALE, 2019!", 0.9, box), TextLine("a ii 12 coffee", 0.6, box),
             TextLine("hidden", 0.4, box)]
    assert dict(text_words(lines, 0.5, 3)) == {"summer": 0.9, "sale": 0.9, "2019": 0.9,
                                               "coffee": 0.6}


@pytest.mark.heavy
def test_the_stage_reads_drawn_words_and_not_plain_photos() -> None:
    import pyvips

    from bench.ocr import draw

    try:
        load_manifest()["ppocr-v4-det"].verified_path()
    except ModelError as exc:
        pytest.skip(str(exc))
    settings = Settings(text={"enabled": True}, inference={"cache_dir": str(MODELS_CACHE)})
    stage = next(e for e in STAGES if e.name == "text").build(settings)
    photos = sorted((shared("faces") / "identities").rglob("*.jpg"))
    pixels, truth = draw(photos[0], 0)
    work = Work(claim=SimpleNamespace(photo_id=1))  # type: ignore[arg-type]
    work.outputs["media"] = SimpleNamespace(pixels=pixels)
    found = {w for w, _ in stage.compute(work)}
    assert set(truth) <= found | {t for t in truth if len(t) < 3}
    plains = [pyvips.Image.thumbnail(str(p), 1024, size="down").numpy() for p in photos[1:8]]
    empty = [p for p in plains if not stage.reader.detect(p)]  # no text region: no recognition
    assert empty, "no photo without text regions among the first ones"
    work.outputs["media"] = SimpleNamespace(pixels=empty[0])
    assert stage.compute(work) == []


def test_a_disabled_stage_is_not_built() -> None:
    from recognize.jobs.stages import build_stages

    assert "text" not in [s.name for s in build_stages(Settings(tags={"enabled": False}))]


def test_the_version_covers_the_word_rule_code_but_not_its_comments() -> None:
    from recognize.inference.ocr import PROCESSING
    from recognize.jobs.stages.text import code_digest, rule_digest

    def rule(w: str) -> bool:
        return len(w) > 2

    def same(w: str) -> bool:
        """Documented."""
        return len(w) > 2  # commented

    def other(w: str) -> bool:
        return len(w) > 3

    assert code_digest((rule,)) == code_digest((same,)) != code_digest((other,))
    assert code_digest((rule,), "[a-z]+") != code_digest((rule,), "[a-z0-9]+")
    stage = next(e for e in STAGES if e.name == "text").build(Settings(text={"enabled": True}))
    assert f"+p{PROCESSING}+words@{rule_digest()}+" in stage.version
