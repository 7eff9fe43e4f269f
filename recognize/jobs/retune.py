"""Changing thresholds while running: validate, apply in place, persist, start what it implies.

Only ``persons`` (every key), ``faces`` (min_score, min_size_px, min_size_fraction) and
``tags`` (every key) may change this way. Each section is validated through its pydantic
model and every problem is reported at once. Implications:

* persons: the clustering digest changes, so :func:`cluster_user` re-clusters fully (names and
  corrections kept); it is started at once in a background thread for every user with mounts;
* faces / tags: the stage version changes (detector settings, model and rules are part of it),
  so the next crawl's reconcile re-queues the stage on every photo. A worker already running
  keeps the stages it was built with until it restarts.
"""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from recognize.config import Settings
from recognize.log import get_logger
from recognize.store import Store

log = get_logger(__name__)
EDITABLE: dict[str, tuple[str, ...] | None] = {
    "persons": None,
    "faces": ("min_score", "min_size_px", "min_size_fraction"),
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
        problems += [f"{section}.{k}: cannot be changed here" for k in values if k not in allowed]
        try:
            out[section] = type(current).model_validate({**current.model_dump(), **values})
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in (section, *err["loc"]))
                problems.append(f"{where}: {str(err['msg']).removeprefix('Value error, ')}")
    return out, problems


def apply(settings: Settings, store: Store, patch: dict[str, Any],
          config_path: Path | None) -> Retune:
    """Apply a validated ``patch`` (call :func:`problems_of` first)."""
    sections, problems = problems_of(settings, patch)
    if problems:
        raise ValueError("; ".join(problems))
    result = Retune()
    with _lock:
        for name, new in sections.items():
            current = getattr(settings, name)
            diff = {k: getattr(new, k) for k in patch[name]
                    if getattr(new, k) != getattr(current, k)}
            for key, value in diff.items():
                setattr(current, key, value)
            if diff:
                result.changed[name] = diff
        if config_path is not None and result.changed:
            persist(config_path, result.changed)
            result.persisted = True
    if "persons" in result.changed:
        from recognize.jobs.persons import person_owners_of

        result.recluster = person_owners_of(store, [
            u.name for u in settings.users if any(u.name in m.owners for m in settings.mounts)])
        start_reclustering(settings, store, result.recluster)
    result.restage = [s for s in ("faces", "tags") if s in result.changed]
    return result


def persist(path: Path, changed: dict[str, dict[str, Any]]) -> None:
    """Write the changed keys back into the TOML file (other content is re-serialised as is)."""
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    for section, values in changed.items():
        table = data.setdefault(section, {})
        table.update({k: str(v) if isinstance(v, Path) else v for k, v in values.items()})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data))
    tmp.replace(path)
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
