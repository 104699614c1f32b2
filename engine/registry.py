"""Registries the engine dispatches to: service-task operators, user-task forms, queues, kinds and lanes.

`handlers` register their functions here, so the engine never imports them and
BPMN models can only reach functions that were registered on purpose.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from marshmallow import Schema

    from .models import Case


@dataclass
class ServiceContext:
    """What a service-task function may use: the case row, the task's data (mutable) and the actor."""

    case: Case
    data: dict[str, Any]
    task_name: str
    now: datetime
    actor: str = "systeem"
    user_id: Optional[int] = None
    new_case: bool = False  # created in this transaction: nothing can refer to it yet
    extra: dict[str, Any] = field(default_factory=dict)


ServiceFn = Callable[..., Optional[dict[str, Any]]]
_services: dict[str, ServiceFn] = {}
_service_sets: dict[str, tuple[str, ...]] = {}
_forms: dict[str, Callable[[], Schema]] = {}


def service(name: str, sets: tuple[str, ...] = ()) -> Callable[[ServiceFn], ServiceFn]:
    """Register `fn(ctx, **params)` as the service-task operator `name`.

    `sets` names the process data the operator writes (`ctx.data[...] = ...`): the deploy checks accept
    those names in the conditions, timers and parameters of a model that uses the operator.
    """

    def register(fn: ServiceFn) -> ServiceFn:
        if name in _services and _services[name] is not fn:
            raise ValueError(f"service operator {name!r} registered twice")
        _services[name] = fn
        _service_sets[name] = tuple(sets)
        return fn

    return register


def get_service(name: str) -> ServiceFn:
    """Return the registered operator or raise KeyError."""
    return _services[name]


def service_names() -> set[str]:
    """Names of all registered operators (the deploy lint checks models against them)."""
    return set(_services)


def service_sets(name: str) -> tuple[str, ...]:
    """The process data names operator `name` declared it sets (empty for an unknown operator)."""
    return _service_sets.get(name, ())


def form(key: str) -> Callable[[Callable[[], Schema]], Callable[[], Schema]]:
    """Register a marshmallow schema factory as the form of user tasks with property form=`key`."""

    def register(factory: Callable[[], Schema]) -> Callable[[], Schema]:
        _forms[key] = factory
        return factory

    return register


def get_form(key: Optional[str]) -> Optional[Schema]:
    """The schema of the form key, or None when the task has no registered form. Built once per factory and shared:
    a marshmallow schema keeps nothing of one load for the next (building one cost more than loading a form)."""
    factory = _forms.get(key or "")
    if factory is None:
        return None
    schema = _form_schemas.get(factory)
    if schema is None:
        schema = _form_schemas[factory] = factory()
    return schema


_form_schemas: dict[Callable[[], Schema], Schema] = {}


def form_keys() -> set[str]:
    """Keys of all registered forms."""
    return set(_forms)


# Which group's queue a READY manual task goes to: (case, lane, task properties) -> group id or None.
GroupResolver = Callable[[Any, Optional[str], dict[str, Any]], Optional[int]]
_group_resolver: list[GroupResolver] = [lambda case, lane, props: case.group_id]


def group_resolver(fn: GroupResolver) -> GroupResolver:
    """Register the function that maps a task's lane (and the case's current group) to a queue."""
    _group_resolver[0] = fn
    return fn


def resolve_group(case: Any, lane: Optional[str], props: dict[str, Any]) -> Optional[int]:
    """The group id whose queue gets a task in `lane` of `case`."""
    return _group_resolver[0](case, lane, props)


# What the engine is told about the kinds of case and the lanes, so it names none of them itself.
_reference_prefixes: dict[str, str] = {}
_undated_lanes: set[str] = set()
UNKNOWN_KIND_PREFIX = "Z"


def case_kind(kind: str, reference_prefix: str) -> None:
    """Register a kind of case with the letter its references start with (M2026-000042)."""
    _reference_prefixes[kind] = reference_prefix


def reference_prefix(kind: str) -> str:
    """The reference letter of a kind of case; Z for a kind nobody registered."""
    return _reference_prefixes.get(kind, UNKNOWN_KIND_PREFIX)


def undated_lane(lane: str) -> None:
    """Register a lane whose work items get no due date (a desk that only passes cases on)."""
    _undated_lanes.add(lane)


def lane_has_deadline(lane: Optional[str]) -> bool:
    """Whether work items in `lane` are due at the case's deadline."""
    return lane not in _undated_lanes


# The lanes the group resolver knows (a task in another lane would land in no queue), and per process the
# data every channel that starts it puts in a new case: both told by handlers, checked at deploy.
_lanes: set[str] = set()
_start_data: dict[str, tuple[str, ...]] = {}


def lane(name: str) -> None:
    """Register a lane name that the group resolver maps to a group role."""
    _lanes.add(name)


def lane_names() -> set[str]:
    """The lane names the engine knows."""
    return set(_lanes)


def process_start(key: str, sets: tuple[str, ...] = ()) -> None:
    """Register process `key` as one the channels start, with the data names they put in a new case."""
    _start_data[key] = tuple(dict.fromkeys(_start_data.get(key, ()) + tuple(sets)))


def started_processes() -> tuple[str, ...]:
    """The keys of the processes the channels start, in the order they were registered."""
    return tuple(_start_data)


def start_data(key: str) -> Optional[tuple[str, ...]]:
    """The data names a new case of process `key` starts with; None when no channel starts `key`."""
    return _start_data.get(key)
