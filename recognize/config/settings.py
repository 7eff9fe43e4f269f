"""The one typed settings object (a TOML file plus ``RECOGNIZE_…`` environment overrides),
how it is loaded, and how its problems are described: every problem at once, unknown keys
with a "did you mean" hint, keys of earlier versions with what replaced them.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from recognize.config.sections import (
    DEFAULT_CONFIG,
    ENV_PREFIX,
    DuplicatesSettings,
    FacesSettings,
    InferenceSettings,
    JobsSettings,
    LoginSettings,
    MediaSettings,
    MountSettings,
    ObjectsSettings,
    PersonsSettings,
    ServerSettings,
    StoreSettings,
    TagsSettings,
    TextSettings,
    UserSettings,
)
from recognize.errors import ConfigError

__all__ = [
    "RETIRED",
    "Settings",
    "cross_problems",
    "describe",
    "did_you_mean",
    "env_json_problems",
    "load",
    "redacted",
    "retired",
    "section_values",
]


class Settings(BaseSettings):
    """Everything recognize can be told. Sections map 1:1 to TOML tables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    server: ServerSettings = Field(default_factory=ServerSettings)
    login: LoginSettings = Field(default_factory=LoginSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    users: list[UserSettings] = Field(default_factory=list)
    mounts: list[MountSettings] = Field(default_factory=list)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    inference: InferenceSettings = Field(default_factory=InferenceSettings)
    faces: FacesSettings = Field(default_factory=FacesSettings)
    persons: PersonsSettings = Field(default_factory=PersonsSettings)
    tags: TagsSettings = Field(default_factory=TagsSettings)
    objects: ObjectsSettings = Field(default_factory=ObjectsSettings)
    text: TextSettings = Field(default_factory=TextSettings)
    duplicates: DuplicatesSettings = Field(default_factory=DuplicatesSettings)
    _source: Path | None = PrivateAttr(default=None)  # the file it was read from

    @property
    def source_file(self) -> Path | None:
        return self._source

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # environment first: RECOGNIZE_… overrides the TOML file (passed as init kwargs)
        return env_settings, init_settings

    # --- derived values -------------------------------------------------------------
    def models_dir(self) -> Path:
        """Where converted models and the WordNet tables are cached."""
        cache = self.inference.cache_dir
        return Path(cache).expanduser() if cache else self.store.data_dir / "models"

    def database_url(self) -> str:
        url = self.store.url.get_secret_value()
        return url or f"sqlite:///{self.store.data_dir / 'recognize.db'}"

    def mount_owners(self) -> dict[str, tuple[str, ...]]:
        """Each configured mount's owners (what is served; the store may hold more)."""
        return {m.name: tuple(m.owners) for m in self.mounts}

    def mount(self, name: str) -> MountSettings:
        for mount in self.mounts:
            if mount.name == name:
                return mount
        raise ConfigError([f"no mount named {name!r}{did_you_mean(name, [m.name for m in self.mounts])}"])


_HDBSCAN_GONE = ("removed with HDBSCAN: persons are now found by the same-person test "
                 "(same_person_threshold, typical_distance, condition_shift; docs/persons.md)")
RETIRED: dict[tuple[str, str], str] = {
    ("persons", "min_samples"): _HDBSCAN_GONE,
    ("persons", "cluster_selection_epsilon"): _HDBSCAN_GONE,
    ("persons", "cluster_selection_method"): _HDBSCAN_GONE,
    ("persons", "merge_distance"): "removed: groups of faces are joined by the same-person "
                                   "test (condition_shift)",
    ("persons", "max_assignment_distance"): "removed: a new face joins a person by the same "
                                            "test as clustering (same_person_threshold)",
    ("persons", "assignment_neighbors"): "removed: a new face joins a person by the same test "
                                         "as clustering (same_person_threshold)",
    ("persons", "min_detector_score"): "renamed: use faces.min_score (faces below it are not "
                                       "kept, so never clustered)",
    ("persons", "min_face_size"): "replaced by faces.quality_min_size_px (pixels of the "
                                  "analysis-size image; smaller faces are kept, not clustered)",
}
"""Keys that existed once: using one is a start-up error saying what replaced it."""


def retired(section: str, key: str) -> str | None:
    """What replaced ``section.key``, when it is a key of an earlier version."""
    return RETIRED.get((section, key))


def section_values(section: BaseModel, target: type, prefix: str = "") -> dict[str, Any]:
    """The keys of a config section that a settings dataclass has (its field names, after
    ``prefix``): how L1 settings are built from their section, never field by field."""
    names = (f.name for f in dataclasses.fields(target))
    return {n: getattr(section, prefix + n) for n in names
            if prefix + n in type(section).model_fields}


def cross_problems(users: list[Any], mounts: list[Any]) -> list[str]:
    """Problems between sections (names given twice, owners that are no user)."""

    def name(item: Any) -> str:
        return str(item.get("name") if isinstance(item, dict) else getattr(item, "name", ""))

    user_names = [name(u) for u in users]
    problems = [f"users: name {n!r} appears twice" for n in _twice(user_names)]
    problems += [f"mounts: name {n!r} appears twice" for n in _twice([name(m) for m in mounts])]
    for i, mount in enumerate(mounts):
        owners = mount.get("owners", []) if isinstance(mount, dict) else mount.owners
        for owner in owners if isinstance(owners, list) else []:
            if owner not in user_names:
                problems.append(
                    f"mounts[{i}].owners: unknown user {owner!r}{did_you_mean(str(owner), user_names)}"
                )
    return problems


def _twice(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def did_you_mean(word: str, choices: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The settings model that owns the key at ``loc`` (for "did you mean" hints)."""
    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return model


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(error: ValidationError) -> list[str]:
    """Turn pydantic's errors into one readable line each."""
    problems: list[str] = []
    for err in error.errors():
        loc = tuple(err["loc"])
        where = _location(loc)
        if err["type"] == "extra_forbidden" and len(loc) == 2 and retired(*map(str, loc)):
            problems.append(f"{where}: {retired(*map(str, loc))}")
        elif err["type"] == "extra_forbidden":
            owner = _model_at(loc)
            known = list(owner.model_fields) if owner else []
            problems.append(f"{where}: unknown key{did_you_mean(str(loc[-1]), known)}")
        elif err["type"] == "value_error" and not loc:
            problems += [p.strip() for p in str(err["msg"]).removeprefix("Value error, ").split(";")]
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
    return problems


def load(path: Path | str | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Read the config file (if any) and the environment; raise ConfigError listing problems.

    Relative paths in the file (``store.data_dir``, mount paths) are relative to the file.
    """
    env = os.environ if environ is None else environ
    path = Path(path or env.get(f"{ENV_PREFIX}CONFIG", "") or DEFAULT_CONFIG)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise ConfigError([f"cannot read TOML: {exc}"], str(path)) from exc
    elif path != DEFAULT_CONFIG:
        raise ConfigError([f"config file {path} does not exist (create one: recognize init)"])
    _resolve_relative(data, path.resolve().parent)
    env_problems = env_json_problems(env)
    if env_problems:  # leave the bad variables out, so every other problem is listed too
        environ = {k: v for k, v in env.items() if k not in env_problems}
    saved = dict(os.environ)
    try:
        if environ is not None:
            os.environ.clear()
            os.environ.update(environ)
        settings = Settings(**data)
    except ValidationError as exc:
        problems = list(env_problems.values()) + describe(exc)
        users, mounts = data.get("users", []), data.get("mounts", [])
        if isinstance(users, list) and isinstance(mounts, list):
            problems += cross_problems(users, mounts)
        raise ConfigError(problems, str(path)) from None
    except SettingsError as exc:  # a value the environment source could not parse
        raise ConfigError([*env_problems.values(), f"environment: {exc}"], str(path)) from None
    finally:
        if environ is not None:
            os.environ.clear()
            os.environ.update(saved)
    problems = list(env_problems.values()) + cross_problems(settings.users, settings.mounts)
    if problems:
        raise ConfigError(problems, str(path))
    settings._source = path.resolve() if path.exists() else None
    return settings


def env_json_problems(env: Mapping[str, str]) -> dict[str, str]:
    """``RECOGNIZE_…`` variables for lists and sections must hold JSON: variable -> problem."""
    problems: dict[str, str] = {}
    for name, value in env.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        model: Any = Settings
        field = None
        for part in name[len(ENV_PREFIX):].lower().split("__"):
            fields = getattr(model, "model_fields", {})
            if part not in fields:
                field = None
                break
            field = fields[part]
            model = _nested_model(field.annotation)
        if field is None or not _is_json_field(field.annotation):
            continue
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            problems[name] = (f"environment variable {name}: not valid JSON ({exc.msg} at "
                              f"character {exc.pos + 1})")  # the value may hold a secret
    return problems


def _nested_model(annotation: Any) -> Any:
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _is_json_field(annotation: Any) -> bool:
    """What pydantic-settings reads from the environment as JSON: sections and collections."""
    origin = getattr(annotation, "__origin__", None)
    return origin in (list, dict, set, tuple, frozenset) or (
        isinstance(annotation, type) and issubclass(annotation, BaseModel))


def _resolve_relative(data: dict[str, Any], base: Path) -> None:
    inference = data.get("inference")
    if isinstance(inference, dict) and isinstance(inference.get("cache_dir"), str) \
            and inference["cache_dir"]:
        inference["cache_dir"] = str((base / Path(inference["cache_dir"]).expanduser()).resolve())
    store = data.setdefault("store", {})
    if isinstance(store, dict) and isinstance(store.get("data_dir", "var"), str):
        store["data_dir"] = str((base / Path(store.get("data_dir", "var")).expanduser()).resolve())
    mounts = data.get("mounts")
    for mount in mounts if isinstance(mounts, list) else []:
        if (isinstance(mount, dict) and isinstance(mount.get("path"), str)
                and not mount["path"].startswith(("http://", "https://"))):
            mount["path"] = str((base / Path(mount["path"]).expanduser()).resolve())


def redacted(settings: Settings) -> dict[str, Any]:
    """The effective config as plain data with secrets shown as ``***``."""
    return settings.model_dump(mode="json")
