"""Changing thresholds while running: validate, apply in place, persist, start what it implies.

Only ``persons`` (every key), ``faces`` (min_score, min_size_px, min_size_fraction,
quality_min_size_px) and
``tags`` (every key) may change this way. Each section is validated through its pydantic
model, the files it names are read as start-up reads them (:mod:`recognize.jobs.config_check`)
and every problem is reported at once; the config file is rewritten only when the result
passes start-up, keeping its comments (:mod:`recognize.jobs.config_file`). Implications:

* persons: the clustering digest changes, so :func:`cluster_user` re-clusters fully (names and
  corrections kept); it is started at once in a background thread for every user with mounts;
* faces / tags: the stage version changes (detector settings, model and rules are part of it),
  so the next crawl's reconcile re-queues the stage on every photo. A worker already running
  keeps the stages it was built with until it restarts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from recognize.config import Settings, retired
from recognize.jobs import config_file
from recognize.jobs.config_check import deep_problems
from recognize.log import get_logger
from recognize.store import Store

log = get_logger(__name__)
EDITABLE: dict[str, tuple[str, ...] | None] = {
    "persons": None,
    "faces": ("min_score", "min_size_px", "min_size_fraction", "quality_min_size_px"),
    "tags": None,
}
_lock = threading.Lock()


@dataclass
class Retune:
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    persisted: bool = False
    recluster: list[str] = field(default_factory=list)
    restage: list[str] = field(default_factory=list)


def problems_of(settings: Settings, patch: Any) -> tuple[dict[str, BaseModel], list[str]]:
    """The new section models and every problem with ``patch``."""
    if not isinstance(patch, dict) or not patch:
        return {}, ["the body must be a non-empty JSON object of sections"]
    problems: list[str] = []
    out: dict[str, BaseModel] = {}
    for section, values in patch.items():
        if section not in EDITABLE:
            problems.append(f"{section}: cannot be changed here (only {', '.join(EDITABLE)})")
            continue
        if not isinstance(values, dict):
            problems.append(f"{section}: must be an object of keys")
            continue
        current: BaseModel = getattr(settings, section)
        allowed = EDITABLE[section] or tuple(type(current).model_fields)
        problems += [f"{section}.{k}: {retired(section, k) or 'cannot be changed here'}"
                     for k in values if k not in allowed]
        try:
            out[section] = type(current).model_validate({**current.model_dump(), **values})
        except ValidationError as exc:
            for err in exc.errors():
                if err["type"] == "extra_forbidden":
                    continue  # reported above, with what replaced it if it is an old key
                where = ".".join(str(p) for p in (section, *err["loc"]))
                problems.append(f"{where}: {str(err['msg']).removeprefix('Value error, ')}")
    if out:  # the files the valid sections name, read as start-up reads them
        problems += deep_problems(settings.model_copy(update=out))
    return out, problems


def apply(settings: Settings, store: Store, patch: dict[str, Any],
          config_path: Path | None) -> Retune:
    """Apply a validated ``patch`` (call :func:`problems_of` first). Raises ConfigError, with
    nothing changed, when the config file with the change would not pass start-up."""
    sections, problems = problems_of(settings, patch)
    if problems:
        raise ValueError("; ".join(problems))
    result = Retune()
    with _lock:
        for name, new in sections.items():
            current = getattr(settings, name)
            diff = {k: getattr(new, k) for k in patch[name]
                    if getattr(new, k) != getattr(current, k)}
            if diff:
                result.changed[name] = diff
        if config_path is not None and result.changed:
            persist(config_path, result.changed)  # first: a refused file changes nothing
            result.persisted = True
        for name, diff in result.changed.items():
            current = getattr(settings, name)
            for key, value in diff.items():
                setattr(current, key, value)
    if "persons" in result.changed:
        from recognize.jobs.persons import person_owners_of

        result.recluster = person_owners_of(store, [
            u.name for u in settings.users if any(u.name in m.owners for m in settings.mounts)])
        start_reclustering(settings, store, result.recluster)
    result.restage = [s for s in ("faces", "tags") if s in result.changed]
    return result


def persist(path: Path, changed: dict[str, dict[str, Any]]) -> None:
    """Write the changed keys into the TOML file (comments and layout kept, atomically,
    only when the result passes start-up: see :func:`config_file.write_checked`)."""
    config_file.write_checked(path, changed)
    log.info("config %s: wrote %s", path, changed)


def start_reclustering(settings: Settings, store: Store, users: list[str]) -> threading.Thread:
    def run() -> None:
        from recognize.jobs.persons import cluster_user

        for user in users:
            try:
                cluster_user(settings, store, user, holder="api-retune")
            except Exception:  # a failed background job is logged, never raised
                log.exception("re-clustering %s after a config change failed", user)

    thread = threading.Thread(target=run, name="recluster", daemon=True)
    thread.start()
    return thread
