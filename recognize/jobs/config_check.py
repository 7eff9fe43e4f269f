"""The checks of a config that need its files read: shared by start-up, ``recognize config
check`` and ``PATCH /api/v1/config``, so that what one accepts the others accept too.

:func:`recognize.config.load` checks shapes, ranges and that named files exist (L0 reads
no file but the config); here the files are read and parsed the way the stages that use
them parse them (today: the tag rules file, by the tags stage's own parser).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from recognize import config as config_mod
from recognize.config import Settings
from recognize.errors import ConfigError, RecognizeError

if TYPE_CHECKING:
    from recognize.inference.classify_rules import TagRules


def tag_rules_path(settings: Settings) -> Path:
    from recognize.inference.classify_rules import DEFAULT_RULES

    return Path(settings.tags.rules).expanduser() if settings.tags.rules else DEFAULT_RULES


def tag_rules(settings: Settings) -> TagRules:
    """The tag rules of ``settings``, read and validated (ConfigError lists every problem)."""
    from recognize.inference.classify_rules import load_tag_rules
    from recognize.inference.wordnet_table import load_class_table

    return load_tag_rules(load_class_table(settings.models_dir()), tag_rules_path(settings))


def deep_problems(settings: Settings) -> list[str]:
    """Every problem of the files ``settings`` names (empty: start-up will accept them)."""
    problems: list[str] = []
    if settings.tags.rules:  # the built-in rules ship with the package (and have their tests)
        try:
            tag_rules(settings)
        except ConfigError as exc:
            problems += [f"tags.rules: {settings.tags.rules}: {p}" for p in exc.problems]
        except (RecognizeError, OSError) as exc:  # e.g. WordNet missing: the stage fails too
            problems.append(f"tags.rules: cannot check {settings.tags.rules}: {exc}")
    return problems


def check(path: Path | str | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """:func:`recognize.config.load` and then :func:`deep_problems`: what start-up accepts."""
    settings = config_mod.load(path, environ=environ)
    problems = deep_problems(settings)
    if problems:
        raise ConfigError(problems, str(settings.source_file or path or ""))
    return settings
