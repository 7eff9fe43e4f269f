"""Config: every key documented, every problem listed at once, unknown keys hinted."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from recognize import config
from recognize.errors import ConfigError
from tests.conftest import ROOT, write_config

EXAMPLE = ROOT / "config" / "recognize.example.toml"


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = [annotation, *getattr(annotation, "__args__", ())]
        sub = next((c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if sub is not None:
            keys += _keys(sub, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def _documented(path: Path) -> set[str]:
    """Keys that appear in the example with a comment line right above them."""
    documented: set[str] = set()
    section = ""
    previous = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if match := re.fullmatch(r"\[\[?([\w.]+)\]\]?", stripped):
            section = match.group(1) + "."
        elif (match := re.match(r"(\w+)\s*=", stripped)) and previous.startswith("#"):
            documented.add(section + match.group(1))
        previous = stripped
    return documented


def test_every_key_is_documented() -> None:
    missing = sorted(set(_keys(config.Settings)) - _documented(EXAMPLE))
    assert not missing, f"undocumented config keys in {EXAMPLE.name}: {missing}"


def test_example_is_valid_toml_with_every_section() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    assert set(data) == set(config.Settings.model_fields)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[server]\nprot = 1\nport = 0\n[jobs]\nwindow = "25:00-26:00"\n'
        '[[users]]\nname = "alice"\npassword_hash = "plain"\n'
        '[[mounts]]\nname = "m"\npath = "/no/such/folder"\nowners = ["alicee"]\nschedule = "x y"\n'
        "[medai]\n"
    )
    with pytest.raises(ConfigError) as info:
        config.load(path)
    text = "\n".join(info.value.problems)
    for expected in (
        "server.prot: unknown key (did you mean 'port'?)",
        "server.port",
        "jobs.window",
        "users[0].password_hash: must be an argon2 hash",
        "mounts[0].path: folder",
        "mounts[0].schedule: not a schedule",
        "mounts[0].owners: unknown user 'alicee' (did you mean 'alice'?)",
        "medai: unknown key (did you mean 'media'?)",
    ):
        assert expected in text
    assert len(info.value.problems) == 8


def test_environment_overrides_the_file(tmp_path: Path, password_hash: str) -> None:
    path = write_config(tmp_path, {"p": tmp_path}, password_hash, server={"port": 9000})
    settings = config.load(path, environ={"RECOGNIZE_SERVER__PORT": "9001",
                                          "RECOGNIZE_MEDIA__THUMBNAIL_SIZES": "[128, 64]"})
    assert settings.server.port == 9001
    assert settings.media.thumbnail_sizes == [64, 128]
    with pytest.raises(ConfigError, match=r"server\.port"):
        config.load(path, environ={"RECOGNIZE_SERVER__PORT": "many"})


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    path = tmp_path / "c.toml"
    path.write_text('[store]\ndata_dir = "data"\n')
    assert config.load(path).store.data_dir == tmp_path / "data"
    assert config.load(path).database_url() == f"sqlite:///{tmp_path / 'data' / 'recognize.db'}"


def test_secrets_are_redacted(tmp_path: Path, password_hash: str) -> None:
    path = write_config(tmp_path, {"p": tmp_path}, password_hash,
                        store={"url": "postgresql://u:topsecret@h/db"})
    dumped = str(config.redacted(config.load(path)))
    assert "topsecret" not in dumped and password_hash not in dumped


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("01:00-06:00", (1, 6)), ("22:30-02:00", (22, 2)), ("", None)],
)
def test_windows(text: str, expected: tuple[int, int] | None) -> None:
    window = config.parse_window(text)
    assert (window and (window[0].hour, window[1].hour)) == expected or window == expected


def test_keys_of_earlier_versions_say_what_replaced_them(tmp_path: Path) -> None:
    old = {key: 1 for (section, key) in config.RETIRED if section == "persons"}
    path = tmp_path / "old.toml"
    path.write_text("[persons]\n" + "".join(f"{k} = {v}\n" for k, v in old.items())
                    + "condition_shift = -1\n")
    with pytest.raises(ConfigError) as info:
        config.load(path, environ={"RECOGNIZE_FACES__MIN_SCOR": "0.6"})
    problems = info.value.problems
    for key in old:  # every old key, each with its replacement, and the other problems too
        assert any(p.startswith(f"persons.{key}: ") and ("removed" in p or "use" in p
                   or "replaced" in p) for p in problems), (key, problems)
    assert "persons.min_detector_score: renamed: use faces.min_score" in "\n".join(problems)
    assert any("replaced by faces.quality_min_size_px" in p for p in problems)
    assert any(p.startswith("persons.condition_shift") for p in problems)
    assert "faces.min_scor: unknown key (did you mean 'min_score'?)" in problems
    assert len(problems) == len(old) + 2


def test_settings_dataclasses_are_built_from_their_sections() -> None:
    """ClusterParams, DetectorSettings and QualitySettings take every field from the config
    key of the same name (one source per threshold: same defaults, no key left out)."""
    import dataclasses

    from recognize.clustering.params import ClusterParams
    from recognize.inference.faces_detect import DetectorSettings
    from recognize.inference.faces_quality import QualitySettings

    persons, faces = config.PersonsSettings(), config.FacesSettings()
    assert ClusterParams.from_settings(persons) == ClusterParams()
    assert set(ClusterParams().digest_fields()) == {
        f.name for f in dataclasses.fields(ClusterParams)} <= set(config.PersonsSettings.model_fields)
    assert DetectorSettings(**config.section_values(faces, DetectorSettings)) == DetectorSettings()
    assert QualitySettings(**config.section_values(faces, QualitySettings, "quality_")) \
        == QualitySettings()
    used = {*config.section_values(faces, DetectorSettings),
            *(f"quality_{k}" for k in config.section_values(faces, QualitySettings, "quality_"))}
    assert set(config.FacesSettings.model_fields) - used == {"enabled", "mirror"}
    changed = config.FacesSettings(min_score=0.7, quality_min_size_px=50)
    assert DetectorSettings(**config.section_values(changed, DetectorSettings)).min_score == 0.7
    assert QualitySettings(**config.section_values(changed, QualitySettings, "quality_")) \
        .min_size_px == 50
