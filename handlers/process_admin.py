"""Process-model administration: which versions exist, which one new cases start on, deploying and choosing.

Every deploy and activation by a person is written to the administration log (record_change("process", ...))
in the caller's transaction, with who and the version; the engine (engine/deploy.py) does the storing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select

from engine import deploy as deployment
from engine.db import db
from engine.models import ActiveProcess, Case, ProcessDefinition

from .admin_changes import record_change

PROCESS_KEYS = ("melding", "infomail", "post", "contact")  # the processes Meldpunt ships, in the order pages list them
MAX_FILENAME = 255


@dataclass
class VersionRow:
    """One stored version, as the page, the API and the CLI list it."""

    key: str
    version: int
    deployed_at: datetime
    deployed_by: Optional[str]
    origin: str
    filename: str
    sha256: str
    cases: int
    active: bool


@dataclass
class ProcessRow:
    key: str
    versions: list[VersionRow] = field(default_factory=list)
    active_version: Optional[int] = None
    chosen_by: Optional[str] = None  # "city" once the city deployed or chose a version


def overview() -> list[ProcessRow]:
    """Every process (the shipped ones first) with its versions, newest first, and the cases on each."""
    counts = dict(db.session.execute(select(Case.definition_id, func.count()).group_by(Case.definition_id))
                  .tuples().all())
    active = {row.key: row for row in db.session.scalars(select(ActiveProcess))}
    rows: dict[str, ProcessRow] = {key: ProcessRow(key) for key in PROCESS_KEYS}
    definitions = db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key,
                                                                        ProcessDefinition.version.desc()))
    newest: dict[str, int] = {}
    for d in definitions:
        row = rows.setdefault(d.key, ProcessRow(d.key))
        newest.setdefault(d.key, d.id)
        chosen = active.get(d.key)
        is_active = d.id == (chosen.definition_id if chosen else newest[d.key])
        row.versions.append(VersionRow(d.key, d.version, d.deployed_at, d.deployed_by, d.origin, d.filename,
                                       d.sha256, int(counts.get(d.id, 0)), is_active))
        if is_active:
            row.active_version = d.version
        row.chosen_by = chosen.chosen_by if chosen else None
    return list(rows.values())


def process(key: str) -> Optional[ProcessRow]:
    return next((p for p in overview() if p.key == key), None)


def version(key: str, number: int) -> Optional[ProcessDefinition]:
    return deployment.find_version(key, number)


def check(xml: bytes, filename: str, key: Optional[str] = None) -> list[dict[str, object]]:
    """Every problem that would stop this model's deploy (a diagram is required); nothing is stored."""
    return deployment.check(xml, filename, key, require_diagram=True, started_only=True).problems


def deploy_model(xml: bytes, filename: str, key: Optional[str], actor: str,
                 user_id: Optional[int] = None) -> tuple[ProcessDefinition, bool]:
    """Deploy the city's model and make it the version new cases start on; audited. Raises DeployError."""
    before = deployment.active_definition(key, required=False) if key else None
    definition, created = deployment.deploy(xml, filename[-MAX_FILENAME:] or "model.bpmn", key, deployed_by=actor,
                                            origin="city", activate=True, require_diagram=True,
                                            started_only=True)
    record_change("process", "deploy" if created else "deploy-unchanged", f"{definition.key} v{definition.version}",
                  actor=actor, user_id=user_id,
                  detail=f"versie {definition.version} in gebruik" if created else "ongewijzigd, al in gebruik",
                  data={"key": definition.key, "version": definition.version, "origin": "city",
                        "filename": definition.filename, "sha256": definition.sha256,
                        "previous_version": before.version if before else None})
    return definition, created


def activate_version(key: str, number: int, actor: str, user_id: Optional[int] = None) -> ProcessDefinition:
    """Make an earlier (or later) stored version the one new cases start on; audited. Raises NotFound."""
    definition, before = deployment.activate(key, number, actor)
    record_change("process", "activate", f"{key} v{number}", actor=actor, user_id=user_id,
                  detail=f"versie {number} in gebruik" + (f" (was versie {before.version})" if before else ""),
                  data={"key": key, "version": number, "previous_version": before.version if before else None})
    return definition


@dataclass
class ShippedOutcome:
    definition: ProcessDefinition
    created: bool
    active: bool
    active_version: int

    def describe(self) -> str:
        d = self.definition
        if self.created and self.active:
            return f"deployed: {d.key} v{d.version} (shipped, in use)"
        if self.created:
            return (f"stored: {d.key} v{d.version} (shipped, NOT in use: the city's v{self.active_version} "
                    f"stays in use; 'meldpunt bpmn activate {d.key} {d.version}' to use it)")
        return f"unchanged: {d.key} v{d.version}" + ("" if self.active else
                                                      f" (the city's v{self.active_version} is in use)")


def deploy_shipped(actor: str = "systeem") -> list[ShippedOutcome]:
    """Deploy bpmn/*.bpmn: never makes a shipped model the one in use when the city chose its own version."""
    outcomes = []
    for definition, created in deployment.deploy_builtin(actor):
        active = deployment.active_definition(definition.key)
        assert active is not None
        outcome = ShippedOutcome(definition, created, active.id == definition.id, active.version)
        if created:
            record_change("process", "deploy", f"{definition.key} v{definition.version}", actor=actor,
                          detail="meegeleverd model, in gebruik" if outcome.active else
                          "meegeleverd model bewaard, niet in gebruik: de versie van de stad blijft",
                          data={"key": definition.key, "version": definition.version, "origin": "shipped",
                                "filename": definition.filename, "sha256": definition.sha256,
                                "active": outcome.active})
        outcomes.append(outcome)
    return outcomes
