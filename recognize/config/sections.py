"""The config's sections: one class per TOML table, each key with its type, default and bounds.

``config/recognize.example.toml`` documents every key (a test fails when one is missing there).
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
)

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_PREFIX",
    "NAME_PATTERN",
    "DuplicatesSettings",
    "FacesSettings",
    "InferenceSettings",
    "JobsSettings",
    "LoginSettings",
    "MediaSettings",
    "MountSettings",
    "ObjectsSettings",
    "PersonsSettings",
    "Section",
    "ServerSettings",
    "StoreSettings",
    "TagsSettings",
    "TextSettings",
    "UserSettings",
    "parse_duration",
    "parse_window",
]

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
    pin_cpus: bool = True
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
    max_blue_chroma: float = Field(7.0, ge=0.0, le=255.0)
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


class ObjectsSettings(Section):
    enabled: bool = False
    model: Literal["nanodet"] = "nanodet"
    min_score: float = Field(0.4, ge=0.0, le=1.0)


class TextSettings(Section):
    enabled: bool = False
    min_score: float = Field(0.5, ge=0.5, le=1.0)  # the reader keeps lines from 0.5
    min_length: int = Field(3, ge=1, le=20)


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
