"""Alembic environment: the engine is handed in by recognize.store.db.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from recognize.store.models import Base

config = context.config
engine = config.attributes.get("engine")


def migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


def run() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        migrate(given)
        return
    if engine is None:
        raise RuntimeError("run migrations through recognize.store.db.upgrade")
    with engine.connect() as connection:
        migrate(connection)


run()
