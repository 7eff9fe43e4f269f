"""The one typed settings object: a TOML file plus ``RECOGNIZE_…`` environment overrides.

Every problem is reported at once (:class:`recognize.errors.ConfigError`), unknown keys are
refused with a "did you mean" hint. ``config/recognize.example.toml`` documents every key
(a test fails when one is missing there).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from recognize.errors import ConfigError

ENV_PREFIX = "RECOGNIZE_"
DEFAULT_CONFIG = Path("recognize.toml")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """``"90s"``, ``"30m"``, ``"1h"``, ``"2d"`` → seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 1h, 1d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def parse_window(text: str) -> tuple[time, time] | None:
    """``"01:00-06:00"`` → (start, end); empty → None (always allowed). May wrap midnight."""
    if not text.strip():
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match:
        raise ValueError(f"not a time window: {text!r} (use HH:MM-HH:MM, e.g. 01:00-06:00)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"not a time window: {text!r} (hours 0-23, minutes 0-59)")
    return time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    threads: int = Field(16, ge=1, le=512)
    worker: bool = True
    allow_basic_over_http: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_api_body: int = Field(16 * 1024 * 1024, ge=1024, le=2**40)


class LoginSettings(Section):
    """Password logins (HTTP Basic, API and WebDAV): failure limits and the cost of hashing."""

    max_failures: int = Field(10, ge=1, le=100_000)
    failure_window: int = Field(300, ge=1, le=86_400)
    lockout: int = Field(300, ge=1, le=86_400)
    parallel_hashes: int = Field(2, ge=1, le=64)
    remember: int = Field(300, ge=0, le=86_400)


class StoreSettings(Section):
    data_dir: Path = Path("var")
    url: SecretStr = SecretStr("")


class UserSettings(Section):
    name: str = Field(pattern=NAME_PATTERN)
    password_hash: SecretStr
    admin: bool = False
    digest_ha1: SecretStr = SecretStr("")

    @field_validator("digest_ha1")
    @classmethod
    def _is_md5(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if text and not re.fullmatch(r"[0-9a-fA-F]{32}", text):
            raise ValueError("must be 32 hex digits (make one with: recognize user hash --digest)")
        return value

    @field_validator("password_hash")
    @classmethod
    def _is_a_hash(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("$argon2"):
            raise ValueError(
                "must be an argon2 hash, never a plain password "
                "(make one with: recognize user hash)"
            )
        return value


class MountSettings(Section):
    name: str = Field(pattern=NAME_PATTERN)
    path: str
    owners: list[str] = Field(min_length=1)
    schedule: str = "1h"
    writable: bool = False
    follow_symlinks: bool = False
    watch: bool = False
    share_persons: bool = False
    username: str = ""
    password: SecretStr = SecretStr("")

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        if _DURATION.match(value):
            return value
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(
                f"not a schedule: {value!r} (an interval such as 30m or 1h, "
                f"or a 5-field cron line such as '0 3 * * *': {exc})"
            ) from exc
        return value

    @field_validator("path")
    @classmethod
    def _folder_exists(cls, value: str) -> str:
        if value.startswith(("http://", "https://")):
            return value
        if not Path(value).expanduser().is_dir():
            raise ValueError(f"folder {value!r} does not exist")
        return str(Path(value).expanduser().resolve())


class JobsSettings(Section):
    batch_size: int = Field(16, ge=1, le=1000)
    workers: int = Field(1, ge=1, le=64)
    threads: int = Field(1, ge=0, le=64)
    nice: int = Field(10, ge=0, le=19)
    window: str = ""
    photo_timeout: int = Field(120, ge=1)
    max_attempts: int = Field(3, ge=1, le=100)
    retry_backoff: int = Field(60, ge=0)

    @field_validator("window")
    @classmethod
    def _valid_window(cls, value: str) -> str:
        parse_window(value)
        return value


class MediaSettings(Section):
    analysis_size: int = Field(1920, ge=256, le=8192)
    max_pixels: int = Field(200_000_000, ge=1_000_000)
    thumbnail_sizes: list[int] = Field(default_factory=lambda: [256, 1024], min_length=1)
    thumbnail_quality: int = Field(82, ge=30, le=100)
    geocode_max_km: float = Field(50.0, gt=0, le=1000)

    @field_validator("thumbnail_sizes")
    @classmethod
    def _sizes(cls, value: list[int]) -> list[int]:
        if any(not 32 <= s <= 4096 for s in value):
            raise ValueError("every thumbnail size must be between 32 and 4096 pixels")
        return sorted(set(value))


class InferenceSettings(Section):
    device: Literal["CPU", "GPU", "AUTO"] = "CPU"
    precision: Literal["auto", "f32", "bf16", "f16"] = "auto"
    cache_dir: str = ""


class FacesSettings(Section):
    """The faces stage. The detector keys (same names as
    ``recognize.inference.faces_detect.DetectorSettings``) decide which faces are kept; the
    ``quality_*`` keys (``recognize.inference.faces_quality.QualitySettings`` without the
    prefix) which kept faces are grouped into persons."""

    enabled: bool = True
    min_score: float = Field(0.5, ge=0.05, le=1.0)
    min_size_px: float = Field(20.0, ge=8, le=1000)
    min_size_fraction: float = Field(0.0, ge=0.0, le=1.0)
    max_faces: int = Field(50, ge=1, le=1000)
    mirror: bool = True
    quality_min_size_px: float = Field(40.0, ge=0, le=1000)
    quality_min_sharpness: float = Field(0.008, ge=0.0, le=1.0)
    quality_max_nose_offset: float = Field(1.0, gt=0.0, le=10.0)
    quality_max_eye_disagreement: float = Field(0.5, gt=0.0, le=10.0)


class PersonsSettings(Section):
    """How faces become persons. The clustering keys are read by
    ``recognize.clustering.params.ClusterParams`` (one field each, same name, defaults from
    here); ``debounce`` and ``suggest_distance`` belong to the job and the review page."""

    min_cluster_size: int = Field(2, ge=2, le=100)
    same_person_threshold: float = Field(0.6, gt=0.0, le=2.0)
    typical_distance: float = Field(0.4, ge=0.0, le=2.0)
    condition_shift: float = Field(0.25, ge=0.0, le=2.0)
    debounce: int = Field(60, ge=0, le=86400)
    suggest_distance: float = Field(0.6, gt=0.0, le=2.0)

    @field_validator("condition_shift")
    @classmethod
    def _shift_fits(cls, value: float, info: Any) -> float:
        threshold = info.data.get("same_person_threshold")
        typical = info.data.get("typical_distance")
        if threshold is not None and typical is not None and threshold**2 < typical**2 + value**2:
            raise ValueError(f"same_person_threshold ({threshold}) must be at least "
                             f"sqrt(typical_distance² + condition_shift²) = "
                             f"{(typical**2 + value**2) ** 0.5:.3f}")
        return value


class DuplicatesSettings(Section):
    enabled: bool = True
    max_distance: int = Field(72, ge=0, le=256)
    mirrored: bool = True
    debounce: int = Field(60, ge=0, le=86400)


class TagsSettings(Section):
    enabled: bool = True
    model: Literal["efficientnet-lite0", "efficientnet-lite2"] = "efficientnet-lite0"
    rules: str = ""

    @field_validator("rules")
    @classmethod
    def _rules_exist(cls, value: str) -> str:
        if value and not Path(value).expanduser().is_file():
            raise ValueError(f"tag rules file {value!r} does not exist")
        return value


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

    def mount(self, name: str) -> MountSettings:
        for mount in self.mounts:
            if mount.name == name:
                return mount
        raise ConfigError([f"no mount named {name!r}{_hint(name, [m.name for m in self.mounts])}"])


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
                    f"mounts[{i}].owners: unknown user {owner!r}{_hint(str(owner), user_names)}"
                )
    return problems


def _twice(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def _hint(word: str, choices: list[str] | set[str]) -> str:
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
            problems.append(f"{where}: unknown key{_hint(str(loc[-1]), known)}")
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
