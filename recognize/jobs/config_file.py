"""Writing changed keys back into the config file.

The file keeps its comments and layout (tomlkit edits the parsed document in place); the new
text is written to a temporary file in the same folder, checked exactly as start-up checks a
config (:func:`recognize.jobs.config_check.check`), and only then fsynced and moved over the
original with ``os.replace``: a refused change, a crash or a full disk leave the file as it
was, byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from recognize.errors import ConfigError
from recognize.jobs.config_check import check


def patched_text(text: str, changed: dict[str, dict[str, Any]]) -> str:
    """``text`` (a TOML document) with ``changed`` keys set, everything else kept as it was."""
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError([f"cannot read TOML: {exc}"]) from exc
    for section, values in changed.items():
        if section not in doc:
            doc.add(section, tomlkit.table())
        table = doc[section]
        if not isinstance(table, dict):
            raise ConfigError([f"{section}: is not a table in the config file"])
        for key, value in values.items():
            table[key] = str(value) if isinstance(value, Path) else value
    return tomlkit.dumps(doc)


def write_checked(path: Path, changed: dict[str, dict[str, Any]]) -> None:
    """Set ``changed`` keys in the config file at ``path``; raise ConfigError (listing every
    problem, the file untouched) when the result would not pass start-up."""
    path = Path(path)
    text = patched_text(path.read_text() if path.exists() else "", changed)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        check(tmp)  # relative paths resolve against the same folder as the real file's
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
