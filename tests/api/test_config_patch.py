"""PATCH /api/v1/config and `recognize config check` check a change as start-up does (the
files it names are read and parsed), list every problem, write nothing when refused, and
keep the config file's comments; the file is replaced atomically. Fails on the code before
issue 10 (item 5): /etc/passwd as tag rules was accepted and every comment was dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomlkit

from recognize import config as config_mod
from recognize.store.opening import open_store
from tests.api.conftest import ALICE
from tests.conftest import ROOT, write_config

EXAMPLE = ROOT / "config" / "recognize.example.toml"


@pytest.fixture(scope="module")
def models_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One WordNet table for the module (built once, ~20 s; real installs have it cached)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def commented(tmp_path: Path, password_hash: str, models_cache: Path) -> Any:
    """The example config, comments and all, pointed at a real folder; alice is an admin."""
    from recognize.api import create_app

    (tmp_path / "photos").mkdir()
    doc = tomlkit.parse(EXAMPLE.read_text())
    doc["store"]["data_dir"] = str(tmp_path / "var")
    doc["inference"]["cache_dir"] = str(models_cache)
    user = doc["users"][0]
    user["password_hash"], user["admin"] = password_hash, True
    doc["mounts"][0]["path"] = str(tmp_path / "photos")
    path = tmp_path / "recognize.toml"
    path.write_text(tomlkit.dumps(doc))
    path.chmod(0o600)
    settings = config_mod.load(path)
    return path, settings, create_app(settings, open_store(settings), path).test_client()


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip().startswith("#")]


def test_patch_keeps_every_comment_and_changes_one_line(commented: Any) -> None:
    path, settings, app = commented
    before = path.read_text()
    done = app.patch("/api/v1/config", headers=ALICE, json={"faces": {"min_score": 0.6}})
    assert done.status_code == 200, done.json
    after = path.read_text()
    assert _comments(after) == _comments(before) and len(_comments(before)) > 100
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    assert changed == [("min_score = 0.5", "min_score = 0.6")]
    assert path.stat().st_mode & 0o777 == 0o600  # the file keeps its mode (it holds hashes)
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert config_mod.load(path).faces.min_score == 0.6 == settings.faces.min_score


def test_bad_patch_lists_every_problem_and_writes_nothing(commented: Any, tmp_path: Path) -> None:
    path, settings, app = commented
    rules = tmp_path / "rules.toml"  # TOML, but not tag rules: the tags stage would refuse it
    rules.write_text('[defaults]\nthreshold = 2\n[thresholds]\nn99999999 = 0.5\n')
    before = path.read_bytes()
    for patch, expected in (
        ({"tags": {"rules": "/etc/passwd"}}, ["tags.rules: /etc/passwd: not valid TOML"]),
        ({"tags": {"rules": str(rules)}, "persons": {"min_cluster_size": 1}},
         ["persons.min_cluster_size", "tags.rules: " + str(rules) + ": defaults.threshold",
          "tags.rules: " + str(rules) + ": [thresholds]: 'n99999999'"]),
    ):
        refused = app.patch("/api/v1/config", headers=ALICE, json=patch)
        assert refused.status_code == 422, refused.json
        details = refused.json["error"]["details"]
        assert len(details) == len(expected), details
        for start in expected:
            assert any(d.startswith(start) for d in details), (start, details)
        assert path.read_bytes() == before
    assert settings.tags.rules == "" and settings.persons.min_cluster_size == 2
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_config_check_reads_the_tag_rules_file(tmp_path: Path, password_hash: str,
                                                models_cache: Path) -> None:
    from recognize.cli import main

    path = write_config(tmp_path, {}, password_hash, tags={"rules": "/etc/passwd"},
                        inference={"cache_dir": str(models_cache)})
    config_mod.load(path)  # the shape is fine: only reading the file finds the problem
    assert main(["config", "check", "--file", str(path)]) == 2
    good = tmp_path / "rules.toml"
    good.write_text("[defaults]\nthreshold = 0.4\n")
    path.write_text(path.read_text().replace("/etc/passwd", str(good)))
    assert main(["config", "check", "--file", str(path)]) == 0


def test_a_failed_replace_leaves_the_file_as_it_was(commented: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from recognize.jobs import config_file

    path, _, _ = commented
    before = path.read_bytes()

    def broken(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config_file.os, "replace", broken)
    with pytest.raises(OSError):
        config_file.write_checked(path, {"faces": {"min_score": 0.7}})
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
