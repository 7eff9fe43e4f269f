"""The migrations up to 0010 build exactly the schema they built when they were written.

``schema_0010.txt`` is SQLite's own text of that schema (``sqlite_master``, in creation
order, as ``sqlite3 .schema`` prints it), taken from the migrations as first written, before
they shared ``recognize/store/migrations/helpers.py``. A helper change that alters an old
migration's result fails here; a schema change belongs in a new migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from recognize.store.db import alembic_config

FROZEN = Path(__file__).with_name("schema_0010.txt")


def test_migrations_to_0010_build_the_frozen_schema(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    engine = create_engine(f"sqlite:///{db}")
    command.upgrade(alembic_config(engine), "0010")
    engine.dispose()
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
    assert "".join(sql + ";\n" for (sql,) in rows) == FROZEN.read_text()


def test_a_store_at_head_is_opened_without_alembic_and_an_older_one_is_migrated(
        tmp_path: Path) -> None:
    """``at_head`` reads the scripts' heads as text: they are Alembic's own; a store below
    them (here: one revision down) is migrated as before."""
    from alembic.script import ScriptDirectory

    from recognize.store.db import Store, at_head, script_heads

    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    assert script_heads() == frozenset(ScriptDirectory.from_config(alembic_config(engine))
                                       .get_heads())
    assert not at_head(engine)  # a new store
    Store(f"sqlite:///{tmp_path / 'store.db'}").close()
    assert at_head(engine)
    command.downgrade(alembic_config(engine), "-1")
    assert not at_head(engine)
    Store(f"sqlite:///{tmp_path / 'store.db'}").close()
    assert at_head(engine)
    engine.dispose()
