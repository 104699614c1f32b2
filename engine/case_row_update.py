"""Writing a changed case row at commit with one prebuilt UPDATE, with the ORM's optimistic version check.

Every action on a case ends with its row changed (new state, status, timestamps, often a group or a deadline)
and a commit. Flushing that one object through the ORM's unit of work (dependency sort, per-mapper
bookkeeping, a fresh parameter set) cost more than the UPDATE itself. Here the changed columns of each dirty
case are taken from the object's own attribute history, the UPDATE for that set of columns is built once,
and it runs before the ORM's flush, as the ORM would: `SET ..., lock_version = old + 1 WHERE id = ? AND
lock_version = old`. No row matched: StaleDataError, exactly the error the ORM raises, so two workers that
change the same case still cannot both succeed (runtime.commit_or_explain turns it into a Conflict).

Only what the ORM would write as plain columns is handled: changed columns, and many-to-one relationships
set to a stored object (their foreign key columns). Anything else on a case (a related object not yet
stored, a collection, an expired primary key) leaves that case to the ORM's flush, unchanged.
"""
from __future__ import annotations

from functools import cache
from typing import Any, Optional

from sqlalchemy import Update, bindparam, inspect, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import ColumnProperty, RelationshipProperty, Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.state import InstanceState

from .models import Case
from .raw_rows import execute_on_driver, positional_dialect

_cases = Case.__table__


@cache
def _statement(columns: frozenset[str]) -> Update:
    """UPDATE cases SET <columns>, lock_version = :new_version WHERE id = :case_id AND lock_version = :old_version."""
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in sorted(columns)}
    values["lock_version"] = bindparam("new_version")
    return (update(_cases).where(_cases.c.id == bindparam("case_id"), _cases.c.lock_version == bindparam("old_version"))
            .values(values))


@cache
def _attributes() -> dict[str, tuple[str, Any]]:
    """Case attribute -> ("column", column key) or ("many_to_one", ((local column, remote attribute), ...))."""
    mapper = inspect(Case)
    kinds: dict[str, tuple[str, Any]] = {}
    for prop in mapper.iterate_properties:
        if isinstance(prop, ColumnProperty) and len(prop.columns) == 1 and prop.columns[0].table is _cases:
            kinds[prop.key] = ("column", str(prop.columns[0].key))
        elif isinstance(prop, RelationshipProperty) and prop.direction.name == "MANYTOONE" \
                and not prop.secondary and prop.local_remote_pairs:
            remote_mapper = prop.mapper
            pairs = tuple((str(local.key), remote_mapper.get_property_by_column(remote).key)
                          for local, remote in prop.local_remote_pairs)
            kinds[prop.key] = ("many_to_one", pairs)
    return kinds


def _changes(state: InstanceState[Any]) -> Optional[dict[str, Any]]:
    """The column values to write for this dirty case, or None when the ORM must flush it."""
    if state.key is None or state.deleted or state.expired or "id" not in state.dict \
            or "lock_version" not in state.dict:
        return None
    kinds, dict_, manager = _attributes(), state.dict, state.manager
    values: dict[str, Any] = {}
    related: list[tuple[Any, Any]] = []
    for key, committed in state.committed_state.items():
        kind = kinds.get(key)
        if kind is None or key not in dict_:
            return None
        if kind[0] == "column":
            if key in ("id", "lock_version"):
                return None
            if manager[key].impl.is_equal(dict_[key], committed) is not True:
                values[kind[1]] = dict_[key]
        else:
            related.append((kind[1], dict_[key]))
    for pairs, target in related:  # as the ORM syncs them at flush: the relationship wins over its column
        if target is not None:
            target_state = inspect(target)
            if target_state.key is None or target_state.expired:
                return None  # a related row made in this transaction: the ORM orders the inserts
        for local, remote in pairs:
            value = None if target is None else target_state.dict.get(remote)
            if target is not None and value is None:
                return None
            if local in values or dict_.get(local) != value:  # the same object again changes nothing
                values[local] = value
    return values


Slots = tuple[tuple[str, Any, Any], ...]  # (parameter name, bind converter of its type, value written in the statement)


def driver_sql(dialect: Dialect, statement: Update) -> tuple[str, Slots]:
    """The statement compiled for the driver (positional parameters), with its parameters' slots in the driver's
    order. Cached per dialect and statement object: pass statements built once."""
    cache_key = (dialect.name, statement)
    found = _driver_sql.get(cache_key)
    if found is None:
        compiled = statement.compile(dialect=positional_dialect(dialect))
        binds = compiled.binds
        slots = tuple((name, binds[name].type.dialect_impl(dialect).bind_processor(dialect), binds[name].value)
                      for name in compiled.positiontup or ())
        found = _driver_sql[cache_key] = (compiled.string, slots)
    return found


def guarded_sql(dialect: Dialect, statement: Update) -> tuple[str, Slots]:
    """An UPDATE for PostgreSQL's pipeline that fails (division by zero) when it matches no row; with its
    parameters' slots in the driver's order. Cached per dialect and statement object: pass statements built once."""
    cache_key = (dialect.name, statement)
    found = _guarded_sql.get(cache_key)
    if found is None:
        sql, slots = driver_sql(dialect, statement)
        found = _guarded_sql[cache_key] = (f"WITH changed AS ({sql} RETURNING 1) SELECT 1 / count(*) FROM changed",
                                           slots)
    return found


def driver_parameters(slots: Slots, params: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters of a guarded statement (`guarded_sql`) in the driver's order, converted by their types; a
    value the statement itself holds (`status == "open"`) where `params` has none."""
    values = ((params.get(name, written), convert) for name, convert, written in slots)
    return tuple(value if convert is None else convert(value) for value, convert in values)


_driver_sql: dict[tuple[str, Update], tuple[str, Slots]] = {}
_guarded_sql: dict[tuple[str, Update], tuple[str, Slots]] = {}
STALE_SQLSTATE = "22012"  # division_by_zero: how a guarded UPDATE says that it matched no row


def write_changed_cases(session: Session, in_pipeline: bool = False) -> list[tuple[str, tuple[Any, ...]]]:
    """UPDATE every dirty case this module can write (see above) and mark it clean; the ORM flushes the rest.

    `in_pipeline` (PostgreSQL, where the commit's rows and its COMMIT go out in one pipeline: engine/raw_rows.py):
    the UPDATEs are not run here but returned, as (SQL, parameters), to go first in that pipeline. Each fails
    with SQLSTATE 22012 when the version does not match, which aborts the pipeline and so the COMMIT;
    pending_rows turns that into StaleDataError. The cases are marked clean at once; a failure rolls the session
    back, which expires them.
    """
    if session.in_nested_transaction():
        return []  # a savepoint's release: the ORM flushes as it always did
    dirty = [state for state in session.identity_map._modified if state.class_ is Case]  # noqa: SLF001
    deferred: list[tuple[str, tuple[Any, ...]]] = []
    for state in dirty:
        values = _changes(state)
        if values is None:
            continue
        if not values:  # attributes set to the values they had: the ORM would not write the row either
            state._commit_all(state.dict, session.identity_map)  # noqa: SLF001
            continue
        old = state.dict["lock_version"]
        params = {f"v_{name}": value for name, value in values.items()}
        params.update(case_id=state.dict["id"], old_version=old, new_version=old + 1)
        if in_pipeline:
            sql, slots = guarded_sql(session.get_bind().dialect, _statement(frozenset(values)))
            deferred.append((sql, driver_parameters(slots, params)))
        else:
            sql, slots = driver_sql(session.get_bind().dialect, _statement(frozenset(values)))
            matched = execute_on_driver(session, sql, driver_parameters(slots, params))
            if matched != 1:
                raise StaleDataError(f"UPDATE statement on table 'cases' expected to update 1 row(s); "
                                     f"{matched} were matched.")
        state.dict["lock_version"] = old + 1
        for key, kind in _attributes().items():  # foreign keys taken from relationships are now loaded values
            if kind[0] == "column" and kind[1] in values:
                state.dict[key] = values[kind[1]]
        state._commit_all(state.dict, session.identity_map)  # noqa: SLF001  # clean, as after a flush
    return deferred
