"""The objects stage (one entry of the stage list) on real photos."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from recognize.config import Settings
from recognize.errors import ModelError
from recognize.inference.base import load_manifest
from recognize.inference.objects import ObjectTag
from recognize.jobs.stages import STAGES, Work, stage_names
from recognize.jobs.stages.objects import count_tags
from tests.conftest import shared


def test_objects_is_one_entry_off_by_default() -> None:
    assert "objects" in [e.name for e in STAGES]
    assert "objects" not in stage_names(Settings())
    assert "objects" in stage_names(Settings(objects={"enabled": True}))


def test_people_are_counted_from_two() -> None:
    rows = count_tags([ObjectTag("person", 0.8, 3), ObjectTag("dog", 0.6, 1)])
    assert ("3 people", "object", 0.8) in rows and ("dog", "object", 0.6) in rows
    assert count_tags([ObjectTag("person", 0.7, 1)]) == [("person", "object", 0.7)]


@pytest.mark.slow
def test_the_stage_tags_a_group_photo(tmp_path: Any) -> None:
    import pyvips

    try:
        load_manifest()["nanodet"].verified_path()
    except ModelError as exc:
        pytest.skip(str(exc))
    settings = Settings(objects={"enabled": True}, inference={"cache_dir": str(tmp_path)})
    stage = next(e for e in STAGES if e.name == "objects").build(settings)
    photo = shared("faces") / "groups/facerec__two_people.jpg"
    pixels = pyvips.Image.thumbnail(str(photo), 1024, size="down").numpy()
    work = Work(claim=SimpleNamespace(photo_id=1))  # type: ignore[arg-type]
    work.outputs["media"] = SimpleNamespace(pixels=pixels)
    rows = count_tags(stage.compute(work))
    assert ("2 people", "object") in [(n, k) for n, k, _ in rows]
    assert "person" in [n for n, _, _ in rows]
