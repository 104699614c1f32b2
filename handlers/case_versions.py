"""Moving running cases to another version of their process: checked first, per case or in bulk, audited.

`check_move(case, target)` says, in Dutch, whether a case can move and why not (engine/migration.py does the
matching of the process instance against the target). `move(case, target, user)` moves one case with its row
locked: its instance is rebuilt on the target (task states, data and timers kept), `definition_id` changes,
the open work items follow the target's task titles and forms, and the case's timeline and the
administration log (handlers/admin_changes.py) say who moved it from which version to which.
`move_cases(source, target, user, references)` checks every running case of the source and moves only the
movable ones, each in its own transaction, returning a report per case.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import select

from engine import registry
from engine.clock import utcnow
from engine.db import db
from engine.deploy import spec_for
from engine.errors import Conflict, InvalidInput, NotFound
from engine.i18n import N_, Phrase
from engine.locking import lock_case
from engine.migration import (
    EVENT_CHANGED,
    HISTORY_MISSING,
    NOT_RUNNABLE,
    SUBPROCESS,
    WAITING_CHANGED,
    WAITING_MISSING,
    Obstacle,
    obstacles,
    try_rebuild,
)
from engine.models import Case, ProcessDefinition, WorkItem
from engine.runtime import ENGINE, SERIALIZER, CaseRun, commit_or_explain
from engine.timeline import add_event

from .admin_changes import record_change

REASONS = {
    WAITING_MISSING: N_("de wachtende taak '{name}' ({task}) bestaat niet in {target}"),
    WAITING_CHANGED: N_("de wachtende taak '{name}' ({task}) is in {target} een ander soort stap"),
    EVENT_CHANGED: N_("'{name}' ({task}) wacht in {target} op een andere timer of ander bericht"),
    HISTORY_MISSING: N_("de afgewerkte stap '{name}' ({task}) bestaat niet in {target}, de geschiedenis van de "
                        "zaak kan niet mee"),
    SUBPROCESS: N_("de zaak loopt in een deelproces"),
    NOT_RUNNABLE: N_("het proces kan in {target} niet verder vanaf de plaats waar de zaak wacht"),
}


def label(definition: ProcessDefinition) -> str:
    """'melding v2'."""
    return f"{definition.key} v{definition.version}"


@dataclass
class Verdict:
    """Whether one case can move to the target version, and why not (Dutch Phrases)."""

    reference: str
    case_id: int
    source: str
    target: str
    status: str
    movable: bool
    reasons: list[Phrase] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    moved: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "from": self.source, "to": self.target, "status": self.status,
                "movable": self.movable, "moved": self.moved, "reasons": [str(r) for r in self.reasons],
                "codes": self.codes}


def definition_version(key: str, version: int) -> ProcessDefinition:
    """The deployed version `version` of process `key`, or NotFound."""
    found = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                              ProcessDefinition.version == version))
    if found is None:
        raise NotFound(f"process '{key}' has no version {version}")
    return found


def versions_of(key: str) -> list[ProcessDefinition]:
    """Every deployed version of `key`, oldest first."""
    return list(db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                   .order_by(ProcessDefinition.version)))


def running_cases(definition: ProcessDefinition, references: Optional[Iterable[str]] = None) -> list[Case]:
    """The cases still running on `definition` (all, or those with the given references), oldest first."""
    query = select(Case).where(Case.definition_id == definition.id, Case.completed.is_(False))
    if references is not None:
        query = query.where(Case.reference.in_(list(references)))
    return list(db.session.scalars(query.order_by(Case.id)))


def _verdict(case: Case, source: Optional[ProcessDefinition], target: ProcessDefinition,
             found: list[Obstacle]) -> Verdict:
    target_label = label(target)
    verdict = Verdict(case.reference or str(case.id), case.id, label(source) if source else "?", target_label,
                      case.status, movable=not found)
    for item in found:
        verdict.codes.append(item.kind)
        verdict.reasons.append(Phrase(REASONS[item.kind], name=item.name, task=item.task, target=target_label))
    return verdict


def _refusal(case: Case, source: Optional[ProcessDefinition], target: ProcessDefinition, code: str,
             reason: Phrase) -> Verdict:
    return Verdict(case.reference or str(case.id), case.id, label(source) if source else "?", label(target),
                   case.status, movable=False, reasons=[reason], codes=[code])


def check_move(case: Case, target: ProcessDefinition) -> Verdict:
    """Can `case` move to `target`? Nothing changes; the verdict names every reason it cannot."""
    source = db.session.get(ProcessDefinition, case.definition_id)
    if source is not None and source.key != target.key:
        return _refusal(case, source, target, "other_process", Phrase(
            N_("de zaak loopt op het proces '{source}', niet op '{target}'"), source=source.key, target=target.key))
    if source is not None and source.id == target.id:
        return _refusal(case, source, target, "same_version", Phrase(
            N_("de zaak loopt al op {target}"), target=label(target)))
    if case.completed:
        return _refusal(case, source, target, "completed", Phrase(N_("de zaak is afgerond")))
    if case.state is None:
        return _refusal(case, source, target, "no_state", Phrase(N_("de zaak heeft geen procesinstantie")))
    workflow = SERIALIZER.deserialize_json(case.state)
    target_spec, _deps = spec_for(target.id)
    found = obstacles(workflow, target_spec)
    if not found:
        _moved, found = try_rebuild(case.state, target.id, SERIALIZER.deserialize_json)
    return _verdict(case, source, target, found)


def _refresh_work_items(case: Case, run: CaseRun) -> None:
    """Open work items keep their task id; their title, form and lane follow the target's task."""
    tasks = {str(t.id): t for t in run.workflow.get_tasks(manual=True)}
    for item in db.session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open")):
        task = tasks.get(item.task_id)
        if task is None:
            continue
        spec = task.task_spec
        props = spec.extensions.get("properties", {}) if hasattr(spec, "extensions") else {}
        item.task_name = spec.name
        item.title = spec.bpmn_name or spec.name
        item.form_key = props.get("form")
        if spec.lane != item.lane:
            item.lane = spec.lane
            group_id = registry.resolve_group(case, spec.lane, props)
            if group_id != item.group_id:
                item.group_id, item.assignee_id = group_id, None


def move(case: Case, target: ProcessDefinition, user: Any, commit: bool = True) -> Verdict:
    """Move one case to `target` with its row locked; a case that cannot move is left as it was.

    Returns the verdict (moved=True when it moved). `user` is the admin (handlers.models.User)."""
    case_id = case.id
    lock_case(case_id)  # FOR UPDATE on PostgreSQL, bumps the optimistic lock
    run = CaseRun.open(case_id, actor=user.display_name, user_id=user.id)
    if run is None:
        raise NotFound(f"case {case_id} does not exist")
    case = run.case
    verdict = check_move(case, target)
    if not verdict.movable:
        db.session.rollback()
        return verdict
    source = db.session.get(ProcessDefinition, case.definition_id)
    workflow, found = try_rebuild(case.state or "", target.id, SERIALIZER.deserialize_json)
    if workflow is None:  # checked just above; only a concurrent deploy could change this
        db.session.rollback()
        return _verdict(case, source, target, found)
    workflow.script_engine = ENGINE
    run.workflow = workflow
    case.definition_id = target.id
    run.save()  # status, next timer (a waiting timer keeps its due time) and work items from the rebuilt instance
    _refresh_work_items(case, run)
    source_label, target_label = label(source) if source else "?", label(target)
    add_event(case, "version_moved", actor=user.display_name, user_id=user.id,
              note=f"Verplaatst van {source_label} naar {target_label} door {user.display_name}",
              data={"from": source_label, "to": target_label, "from_id": source.id if source else None,
                    "to_id": target.id})
    record_change("case_version", "move", case.reference or str(case.id), actor=user.display_name, user_id=user.id,
                  detail=f"{case.reference}: van {source_label} naar {target_label}",
                  data={"reference": case.reference, "old": source_label, "new": target_label,
                        "old_definition_id": source.id if source else None, "new_definition_id": target.id,
                        "at": utcnow().isoformat()})
    verdict.moved = True
    if commit:
        commit_or_explain(case_id)  # someone who changed the case meanwhile makes this a Conflict, nothing half-moved
    return verdict


def move_cases(source: ProcessDefinition, target: ProcessDefinition, user: Any,
               references: Optional[Iterable[str]] = None, dry_run: bool = False) -> list[Verdict]:
    """Check every running case of `source` (or those named) and move the movable ones, each on its own.

    A reference that is not a running case of `source` gets a verdict saying so; nothing else stops the rest."""
    if source.key != target.key:
        raise InvalidInput("the target is another process", {"to": [Phrase(
            N_("versie {target} hoort niet bij het proces '{key}'"), target=label(target), key=source.key)]})
    wanted = None if references is None else [str(r).strip() for r in references if str(r).strip()]
    cases = running_cases(source, wanted)
    report: list[Verdict] = []
    for case in cases:
        verdict = check_move(case, target)
        if verdict.movable and not dry_run:
            try:
                verdict = move(case, target, user)
            except Conflict:
                db.session.rollback()
                verdict.movable, verdict.codes = False, ["conflict"]
                verdict.reasons = [Phrase(N_("de zaak werd intussen door iemand anders gewijzigd"))]
        report.append(verdict)
    if wanted is not None:
        found = {c.reference for c in cases}
        for reference in wanted:
            if reference not in found:
                report.append(Verdict(reference, 0, label(source), label(target), "", movable=False,
                                      codes=["not_running_here"], reasons=[Phrase(
                                          N_("geen lopende zaak op {source}"), source=label(source))]))
    return report
