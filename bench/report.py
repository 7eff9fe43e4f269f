"""The end of every benchmark's run: with ``--json``, the whole result as one JSON object on
the last line (what scripts and CI read)."""

from __future__ import annotations

import json
from typing import Any


def emit(result: Any, as_json: bool, **dumps: Any) -> int:
    """Print ``result`` as JSON when ``as_json`` (``dumps``: options of ``json.dumps``, e.g.
    ``default=float`` for numpy numbers); returns 0, the run's exit code."""
    if as_json:
        print(json.dumps(result, **dumps))
    return 0
