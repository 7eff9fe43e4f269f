"""The one typed settings object: a TOML file plus ``RECOGNIZE_…`` environment overrides.

Every problem is reported at once (:class:`recognize.errors.ConfigError`), unknown keys are
refused with a "did you mean" hint. ``config/recognize.example.toml`` documents every key
(a test fails when one is missing there). The sections (one class per TOML table) are in
``sections``; the settings object, loading and error descriptions in ``settings``.
"""

from recognize.config.sections import (
    DEFAULT_CONFIG,
    ENV_PREFIX,
    NAME_PATTERN,
    DuplicatesSettings,
    FacesSettings,
    InferenceSettings,
    JobsSettings,
    LoginSettings,
    MediaSettings,
    MountSettings,
    PersonsSettings,
    Section,
    ServerSettings,
    StoreSettings,
    TagsSettings,
    UserSettings,
    parse_duration,
    parse_window,
)
from recognize.config.settings import (
    RETIRED,
    Settings,
    _hint,
    cross_problems,
    describe,
    env_json_problems,
    load,
    redacted,
    retired,
    section_values,
)

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_PREFIX",
    "NAME_PATTERN",
    "RETIRED",
    "DuplicatesSettings",
    "FacesSettings",
    "InferenceSettings",
    "JobsSettings",
    "LoginSettings",
    "MediaSettings",
    "MountSettings",
    "PersonsSettings",
    "Section",
    "ServerSettings",
    "Settings",
    "StoreSettings",
    "TagsSettings",
    "UserSettings",
    "_hint",
    "cross_problems",
    "describe",
    "env_json_problems",
    "load",
    "parse_duration",
    "parse_window",
    "redacted",
    "retired",
    "section_values",
]
