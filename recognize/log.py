"""Loggers live under the ``recognize.`` root; handlers are configured only by entry points."""

from __future__ import annotations

import logging


def get_logger(name: str) -> logging.Logger:
    """Return a logger below the ``recognize`` root (``name`` may be a module's ``__name__``)."""
    if not name.startswith("recognize"):
        name = f"recognize.{name}"
    return logging.getLogger(name)


def configure(level: str = "INFO", *, rich_console: bool = False) -> None:
    """Configure the root ``recognize`` logger; called once by an entry point."""
    root = logging.getLogger("recognize")
    root.setLevel(level.upper())
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler = logging.StreamHandler()
    if rich_console:
        from rich.logging import RichHandler

        handler = RichHandler(show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    root.addHandler(handler)
    root.propagate = False
