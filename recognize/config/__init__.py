"""The one typed settings object: a TOML file plus ``RECOGNIZE_…`` environment overrides.

Every problem is reported at once (:class:`recognize.errors.ConfigError`), unknown keys are
refused with a "did you mean" hint. ``config/recognize.example.toml`` documents every key
(a test fails when one is missing there). The sections (one class per TOML table) are in
``sections``; the settings object, loading and error descriptions in ``settings``.
"""

from recognize.config import sections, settings
from recognize.config.sections import *  # noqa: F403
from recognize.config.settings import *  # noqa: F403

__all__ = [*sections.__all__, *settings.__all__]
