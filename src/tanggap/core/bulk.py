"""Writing many rows at once where Django's own helpers are slow.

``bulk_update`` builds one ``CASE WHEN`` expression per row and field: for a batch of a few hundred
received messages it costs more than everything else the batch does. ``update_many`` sends one
parameterised ``UPDATE … WHERE id = %s`` with every row's values (``executemany``): one statement
for the database to prepare, the loop in the driver. On PostgreSQL the rows go as one array per
column instead (``unnest``): one statement and one round trip for the whole batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.constants import OnConflict


def update_many(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of every object (all of one model, all saved before) in one ``executemany``."""
    if not objs:
        return
    names = [str(getattr(objs[0]._meta.get_field(name), "attname", name)) for name in fields]
    update_rows(type(objs[0]), names, [[getattr(obj, name) for name in names] + [obj.pk] for obj in objs])


def update_rows(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Set the fields ``names`` (attribute names: ``policy_id``) of existing rows given as plain
    values, each row's primary key last: ``update_many`` without a model object per row. Each value
    goes through its field's ``get_db_prep_save``, as ``save`` would store it."""
    if not rows:
        return
    meta = model._meta
    columns = [field for name in names if isinstance(field := meta.get_field(name), models.Field)]
    if len(columns) != len(names) or any(not field.concrete for field in columns):
        raise ValueError("update_rows writes concrete fields only")
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = str(meta.pk.column) if meta.pk is not None else "id"
    preparers = [_preparer(field) for field in columns]
    arrays = _array_types([*columns, meta.pk], json_as_text=True)
    if arrays is not None:
        # JSON travels as text in its array and is cast back per value (see ``_array_types``).
        preparers = [
            _json_text(field) if isinstance(field, models.JSONField) else prepare
            for field, prepare in zip(columns, preparers, strict=True)
        ]
    width = len(columns)
    prepared = [
        [prepare(value) for prepare, value in zip(preparers, row[:width], strict=True)] + [row[width]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        if arrays is not None:
            quoted = [quote(str(field.column)) for field in columns]
            assignments = ", ".join(
                f"{name} = v.{name}::jsonb" if isinstance(field, models.JSONField) else f"{name} = v.{name}"
                for name, field in zip(quoted, columns, strict=True)
            )
            key = quote(pk_column)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays}) "  # noqa: S608
                f"AS v({', '.join(quoted)}, {key}) WHERE {table}.{key} = v.{key}",
                [list(column) for column in zip(*prepared, strict=True)],
            )
            return
        assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {quote(pk_column)} = %s"  # noqa: S608
        cursor.executemany(sql, prepared)


def _array_types(fields: Sequence[Any], *, json_as_text: bool = False) -> str | None:
    """PostgreSQL: the ``%s::type[]`` parameters that pass one array per column, for ``unnest``;
    None on other databases, or where a column's values do not travel well in an array. A JSON
    value does not (an array of JSON adapters is not one of JSON); with ``json_as_text`` it goes as
    text, which the caller casts back (``::jsonb``) and serialises with ``_json_text``."""
    if connection.vendor != "postgresql":
        return None
    types = []
    for field in fields:
        db_type = field.db_type(connection) if field is not None else None
        if isinstance(field, models.JSONField) and json_as_text:
            db_type = "text"
        if not db_type or (isinstance(field, models.JSONField) and not json_as_text) or "[" in db_type:
            return None
        types.append(f"%s::{db_type}[]")
    return ", ".join(types)


def _json_text(field: models.JSONField[Any]) -> Callable[[Any], str | None]:
    def dump(value: Any) -> str | None:
        return None if value is None else json.dumps(value, cls=field.encoder)

    return dump


# Fields whose conversion gives back a value of this exact built-in type unchanged.
_PLAIN: dict[type[Any], type[Any]] = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.BooleanField: bool,
    models.ForeignKey: int,  # a key to an integer primary key
}


def _preparer(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` for this connection. A value of the plain type a field stores as
    it is (a ``str`` for a text field, an ``int`` key) skips the conversion, which would give it back
    unchanged; date-times are converted once per value within one call (the same instants recur
    across a batch's rows, and their conversion is the dearest)."""
    prepare = field.get_db_prep_save
    plain = _PLAIN.get(type(field))
    if isinstance(field, models.ForeignKey) and not isinstance(
        field.target_field, models.AutoField | models.BigAutoField | models.IntegerField
    ):
        plain = None
    if plain is not None:
        return lambda value: value if value is None or type(value) is plain else prepare(value, connection)
    if not isinstance(field, models.DateTimeField):
        return lambda value: prepare(value, connection)
    seen: dict[Any, Any] = {}

    def prepare_datetime(value: Any) -> Any:
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            seen[value] = prepared = prepare(value, connection)
            return prepared
        except TypeError:  # not hashable: an expression
            return prepare(value, connection)

    return prepare_datetime


def _named_fields(model: type[models.Model], names: Sequence[str]) -> list[Any]:
    """The concrete fields ``names`` of ``model``, checked to cover every required column."""
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    concrete = [f for f in fields if isinstance(f, models.Field) and f.concrete]
    if len(concrete) != len(fields):
        raise ValueError("insert_rows writes concrete fields only")
    # A NOT NULL column left out would fail every row, and with conflicts ignored SQLite drops such
    # rows without a word: every required column must be named.
    missing = [
        f.name
        for f in meta.concrete_fields
        if f is not meta.pk and f not in concrete and not f.null and not f.has_db_default()
    ]
    if missing:
        raise ValueError(f"insert_rows needs a value for {', '.join(missing)}")
    return concrete


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert rows given as plain values of the fields ``names`` (attribute names: ``ticket_id``),
    without building a model object per row: for rows nobody reads back in the same call (audit
    entries, search entries). Each value goes through its field's ``get_db_prep_save``, so it is
    stored as ``save`` would store it; fields not named take their database default or must be
    nullable. No keys are returned."""
    if not rows:
        return
    meta = model._meta
    concrete = _named_fields(model, names)
    preparers = [_preparer(f) for f in concrete]
    prepared = [[prep(value) for prep, value in zip(preparers, row, strict=True)] for row in rows]
    quote = connection.ops.quote_name
    table, columns = quote(meta.db_table), [str(f.column) for f in concrete]
    if not ignore_conflicts and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _copy(cursor, table, columns, prepared)
        return
    arrays = _array_types(concrete)
    if arrays is not None:  # PostgreSQL, conflicts ignored: one statement with an array per column
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
                [list(column) for column in zip(*prepared, strict=True)],
            )
        return
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    head = connection.ops.insert_statement(on_conflict=on_conflict)
    tail = (
        connection.ops.on_conflict_suffix_sql(concrete, on_conflict, None, None) if ignore_conflicts else ""
    )
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names_sql = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"{head} {table} ({names_sql}) VALUES {one_row} {tail}", prepared)


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: ``COPY`` the rows into ``table``. A multi-row ``INSERT`` with thousands of
    placeholders is split and quoted in Python by the driver on every call; ``COPY`` sends each
    value through its type's dumper and nothing else (about a seventh of the client time for a
    batch of received messages)."""
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    # The driver's own cursor: its errors become Django's (IntegrityError …) as for execute.
    with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _copy_in(db_table: str, columns: list[str], rows: list[list[Any]]) -> list[Any]:
    """PostgreSQL: take the keys from the table's sequence in one query, then ``COPY`` the rows;
    the keys, in the rows' order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [db_table, columns[0], len(rows)],
        )
        keys = sorted(key for (key,) in cursor.fetchall())
        table = connection.ops.quote_name(db_table)
        _copy(cursor, table, columns, ((key, *row) for key, row in zip(keys, rows, strict=True)))
    return keys


def _saved(objs: Sequence[models.Model], keys: Iterable[Any]) -> None:
    """Mark inserted objects as saved, with their keys."""
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias


def _insert_returning_keys(meta: Any, fields: Sequence[Any], rows: list[list[Any]]) -> list[Any]:
    """Insert prepared ``rows`` of ``fields`` (the primary key not among them) and give back their
    new keys, in order: multi-row ``INSERT … RETURNING``, or on PostgreSQL keys from the sequence
    and ``COPY``."""
    pk = meta.pk
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    if connection.vendor == "postgresql":
        return _copy_in(meta.db_table, [str(pk.column)] + [str(f.column) for f in fields], rows)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(len(rows), connection.ops.bulk_batch_size(fields, rows), 500))
    keys: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = ", ".join([one_row] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {quote(str(pk.column))}",  # noqa: S608
                [value for row in chunk for value in row],
            )
            keys += [key for (key,) in cursor.fetchall()]
    return keys


def insert_many(objs: Sequence[models.Model]) -> None:
    """Insert new objects of one model, setting their primary keys: ``bulk_create`` for the hot path.

    Django's ``bulk_create`` compiles every value of every row through its expression machinery; a
    batch of received messages spent more time there than in the database. This writes the same
    values (each field's ``pre_save`` and ``get_db_prep_save``, so defaults, ``auto_now_add``, JSON
    and dates are stored exactly as ``save`` stores them) as multi-row ``INSERT … RETURNING``, or on
    PostgreSQL keys from the sequence and ``COPY``. Signals are not sent, as with ``bulk_create``.
    Rows whose keys are not needed go faster through ``insert_rows``.
    """
    if not objs:
        return
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    preparers = [(f.pre_save, _preparer(f)) for f in fields]
    rows = [[prepare(pre_save(obj, True)) for pre_save, prepare in preparers] for obj in objs]
    _saved(objs, _insert_returning_keys(meta, fields, rows))


def insert_rows_returning_keys(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Any]:
    """``insert_rows`` for rows whose new keys the caller needs (to point other rows at them):
    the keys, in the rows' order. Fields not named take their database default or must be
    nullable, as there."""
    if not rows:
        return []
    meta = model._meta
    fields = _named_fields(model, names)
    preparers = [_preparer(f) for f in fields]
    prepared = [[prep(value) for prep, value in zip(preparers, row, strict=True)] for row in rows]
    return _insert_returning_keys(meta, fields, prepared)
