"""The JSON API (Flask blueprints under /api/v1)."""

from recognize.api.app import create_app

__all__ = ["create_app"]
