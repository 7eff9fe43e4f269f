"""The store: the only layer that touches SQLAlchemy."""

from recognize.store.db import Store

__all__ = ["Store"]
