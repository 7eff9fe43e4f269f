"""What the migrations share: tables, columns and indexes written as short specs.

A column spec is ``name:type``; the type is one of ``TYPES`` or ``strN`` (``String(length=N)``),
and a trailing ``?`` makes the column nullable. A foreign key spec is ``column>table`` (ON
DELETE CASCADE) or ``column>table?`` (ON DELETE SET NULL); it refers to ``table.id``. An index
spec is a column (the index is ``ix_<table>_<column>``) or ``name=col1,col2`` (a named one).
Constraint names follow the naming convention of ``recognize.store.models`` (``pk_<table>``,
``fk_<table>_<column>_<referred table>``, ``uq_<table>_<first column>``); a migration that
left the names to the convention says ``named=False``.

These helpers must keep producing exactly what the migrations produced when they were
written: change what a migration does with a new migration, never by changing a helper.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TYPES = {"int": sa.Integer, "bigint": sa.BigInteger, "text": sa.Text, "float": sa.Float,
         "bool": sa.Boolean, "time": sa.DateTime, "json": sa.JSON, "bytes": sa.LargeBinary}


def column(spec: str, **options: object) -> sa.Column:
    """One column from ``name:type`` (``options``: e.g. ``server_default``)."""
    name, kind = spec.split(":")
    nullable = kind.endswith("?")
    kind = kind.rstrip("?")
    type_ = sa.String(length=int(kind[3:])) if kind.startswith("str") else TYPES[kind]()
    return sa.Column(name, type_, nullable=nullable, **options)


def _name(text: str, named: bool) -> str | None:
    return op.f(text) if named else None


def _foreign_key(table: str, spec: str, named: bool) -> sa.ForeignKeyConstraint:
    col, target = spec.split(">")
    ondelete = "SET NULL" if target.endswith("?") else "CASCADE"
    target = target.rstrip("?")
    return sa.ForeignKeyConstraint([col], [f"{target}.id"],
                                   name=_name(f"fk_{table}_{col}_{target}", named),
                                   ondelete=ondelete)


def _index(table: str, spec: str) -> tuple[str, list[str]]:
    """(name, columns); a name made by the convention is marked final with ``op.f``."""
    if "=" in spec:
        name, cols = spec.split("=")
        return name, cols.split(",")
    return op.f(f"ix_{table}_{spec}"), [spec]


def create_table(table: str, columns: str, *, pk: str = "id", fks: Sequence[str] = (),
                 unique: str = "", indexes: Sequence[str] = (), named: bool = True) -> None:
    """``columns``: column specs; ``pk`` and ``unique``: column names (space-separated)."""
    parts: list[sa.SchemaItem] = [column(spec) for spec in columns.split()]
    parts += [_foreign_key(table, spec, named) for spec in fks]
    parts.append(sa.PrimaryKeyConstraint(*pk.split(), name=_name(f"pk_{table}", named)))
    if unique:
        cols = unique.split()
        parts.append(sa.UniqueConstraint(*cols, name=_name(f"uq_{table}_{cols[0]}", named)))
    op.create_table(table, *parts)
    create_indexes(table, indexes)


def create_indexes(table: str, indexes: Sequence[str]) -> None:
    for spec in indexes:
        name, cols = _index(table, spec)
        op.create_index(name, table, cols, unique=False)


def drop_indexes(table: str, indexes: Sequence[str]) -> None:
    """The indexes ``create_indexes`` made, newest first."""
    for spec in reversed(indexes):
        op.drop_index(_index(table, spec)[0], table_name=table)


def drop_table(table: str, indexes: Sequence[str] = ()) -> None:
    drop_indexes(table, indexes)
    op.drop_table(table)


def add_column(table: str, spec: str, **options: object) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(column(spec, **options))


def drop_column(table: str, name: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_column(name)
