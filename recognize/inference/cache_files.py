"""Files of the model cache written so that a reader never sees half of one.

Several workers (processes or nodes sharing a data directory) may build the same cached
file at once on a fresh install: each writes a file of its own beside the target and renames
it into place, so the last one wins with the same content, and a reader sees the old file,
the new one or none.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any


def _beside(path: Path, suffix: str = "") -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}")


def write_text(path: Path, text: str) -> None:
    tmp = _beside(path)
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def copy_file(source: Path, target: Path) -> None:
    tmp = _beside(target)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def save_model(model: Any, xml: Path) -> None:
    """An OpenVINO IR pair: the ``.bin`` is in place before the ``.xml`` that readers look
    for (``read_model`` finds the weights by the xml's name)."""
    import openvino as ov

    tmp = _beside(xml, ".xml")
    try:
        ov.save_model(model, str(tmp), compress_to_fp16=False)
        os.replace(tmp.with_suffix(".bin"), xml.with_suffix(".bin"))
        os.replace(tmp, xml)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_suffix(".bin").unlink(missing_ok=True)
