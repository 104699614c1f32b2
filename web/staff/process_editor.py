"""Editing a process model in the browser: bpmn-js's Modeler with our own properties form beside it.

GET /werk/beheer/processen/<key>/bewerken[?versie=N] loads the active version (or version N) of the process into
the modeler (web/static/process_modeler.js). The form edits what the model's own contract uses (see
docs/process-models.md): a user task's built-in form or its fields, statuses with their labels, lanes (group
roles), service operators with their parameters, timer expressions and conditions. What the page needs to
know (built-in forms, registered operators and their parameters, known statuses and lanes, the texts of the
form) travels in one JSON data attribute: the page has no inline script.

"Controleren" and "In gebruik nemen" post the modeler's XML to /werk/beheer/processen/<key>/controleren and
/werk/beheer/processen/<key>/in-gebruik-nemen, which check and deploy it (and audit the deploy).
"""
from __future__ import annotations

import inspect
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from flask import render_template, request, url_for
from lxml import etree
from sqlalchemy import select

from engine import registry, statuses
from engine.db import db
from engine.deploy import BPMN_DIR
from engine.deploy import active_definition as deploy_active_definition
from engine.i18n import N_
from engine.models import ProcessDefinition
from handlers.models import MELDKAMER, ONTHAAL

from ..auth import requires
from ..i18n import translate
from . import bp

# The built-in forms of handlers/*forms.py, worded for a process analyst (a form nobody worded shows its key).
FORM_LABELS = {
    "triage": N_("Melding beoordelen: doorsturen, doorverwijzen of dubbel (meldkamer)"),
    "take": N_("In behandeling nemen (behandelaarsgroep)"),
    "handle": N_("Behandelen: afsluiten, vraag aan de melder, aannemer of terugsturen"),
    "review_reopen": N_("Verzoek tot heropenen beoordelen"),
    "mail_triage": N_("Infomail beoordelen (onthaal)"),
    "mail_answer": N_("Infomail beantwoorden (behandelaarsgroep)"),
    "post_answer": N_("Brief beantwoorden (behandelaarsgroep)"),
    "post_sent": N_("Antwoordbrief verstuurd"),
    "post_reroute": N_("Brief naar een andere groep sturen (onthaal)"),
}
# Who gets the work of a lane: the lane's name is the group role (handlers/groups.py queue_for_task).
LANE_LABELS = {
    MELDKAMER: N_("de meldkamer"),
    ONTHAAL: N_("het onthaal"),
    "behandelaarsgroep": N_("de behandelaarsgroep van de melding"),
}
FIELD_TYPES = {
    "text": N_("Tekst (één regel)"),
    "longtext": N_("Lange tekst"),
    "choice": N_("Keuze"),
    "yesno": N_("Ja/nee"),
    "date": N_("Datum"),
    "number": N_("Getal"),
    "file": N_("Bestand"),
}
TIMER_KINDS = {
    "timeDuration": N_("Na een termijn (timeDuration)"),
    "timeDate": N_("Op een tijdstip (timeDate)"),
    "timeCycle": N_("Herhalend (timeCycle)"),
}
# Every text the script shows, Dutch first (translated into the reader's language here).
TEXTS = {
    "nothing_selected": N_("Kies een element in het diagram om zijn eigenschappen te bewerken."),
    "element": N_("Element"),
    "id": N_("Id"),
    "name": N_("Naam"),
    "status": N_("Status"),
    "status_help": N_("De status die de melder en de medewerkers zien zolang de zaak hier is. Een nieuwe "
                      "status heeft een label nodig."),
    "status_key": N_("Statuscode"),
    "status_known": N_("Meldpunt kent deze status: {label}. Een label hier vervangt dat."),
    "status_new": N_("Nieuwe status: geef minstens het Nederlandse label."),
    "label_nl": N_("Label (Nederlands)"),
    "label_en": N_("Label (Engels)"),
    "form": N_("Formulier"),
    "form_builtin": N_("Ingebouwd formulier"),
    "form_fields": N_("Velden in dit model"),
    "form_choose": N_("Kies een formulier"),
    "field": N_("Veld"),
    "field_name": N_("Naam in de procesdata"),
    "field_name_help": N_("Kleine letters, cijfers en _, begint met een letter (bv. resultaat)."),
    "field_name_bad": N_("Ongeldige naam: kleine letters, cijfers en _, begint met een letter, hoogstens 40 tekens."),
    "field_name_double": N_("Deze naam heeft al een ander veld van deze taak."),
    "field_type": N_("Soort"),
    "required": N_("Verplicht"),
    "choices": N_("Keuzes"),
    "choice_value": N_("Waarde"),
    "add_field": N_("Veld toevoegen"),
    "remove_field": N_("Veld verwijderen"),
    "add_choice": N_("Keuze toevoegen"),
    "remove_choice": N_("Keuze verwijderen"),
    "move_up": N_("Naar boven"),
    "lane": N_("Groep (lane)"),
    "lane_help": N_("De naam van de lane zegt wie het werk krijgt."),
    "lane_unknown": N_("Onbekende groep: Meldpunt weet niet wie dit werk krijgt."),
    "operator": N_("Service-operator"),
    "operator_choose": N_("Kies een operator"),
    "operator_unknown": N_("Deze operator is niet geregistreerd."),
    "parameters": N_("Parameters"),
    "parameter_id": N_("Naam"),
    "parameter_type": N_("Type"),
    "parameter_value": N_("Waarde (expressie)"),
    "parameter_help": N_("Een expressie: tekst tussen aanhalingstekens ('ontvangen') of een naam die het proces kent."),
    "add_parameter": N_("Parameter toevoegen"),
    "remove_parameter": N_("Parameter verwijderen"),
    "timer": N_("Timer"),
    "timer_kind": N_("Soort timer"),
    "timer_expression": N_("Wanneer"),
    "timer_help": N_("Een termijn (P7D = 7 dagen, PT4H = 4 uur), een tijdstip (2026-12-31T09:00:00+01:00), een "
                     "herhaling (R3/PT1H) of een naam die het proces kent (reaction_window)."),
    "condition": N_("Voorwaarde"),
    "condition_help": N_("Een expressie over de procesdata, bv. decision == 'refer'. Leeg: geen voorwaarde."),
    "default_flow": N_("Standaardpad van de gateway (als geen voorwaarde klopt)"),
    "checking": N_("Bezig met controleren…"),
    "deploying": N_("Bezig met in gebruik nemen…"),
    "no_problems": N_("Geen problemen gevonden."),
    "problems_found": N_("Problemen gevonden: {count}. Klik op een probleem om het element te tonen."),
    "deployed": N_("Versie {version} is in gebruik genomen: nieuwe zaken starten erop."),
    "deployed_link": N_("Naar het proces"),
    "line": N_("regel {line}"),
    "failed": N_("Dat lukte niet (fout {status}). Het model staat nog hier: probeer opnieuw."),
    "expired": N_("Uw sessie of deze pagina is verlopen. Meld u aan in een ander tabblad en probeer opnieuw: "
                  "het model staat nog hier."),
    "forbidden": N_("U mag processen niet wijzigen."),
    "offline": N_("Geen verbinding met de server. Het model staat nog hier: probeer opnieuw."),
    "load_failed": N_("Dit model kon niet geopend worden in de editor: {error}"),
    "import_warnings": N_("Let op: {count} onderdelen van dit model kent de editor niet; ze gaan verloren als u "
                          "dit model opslaat."),
    "unsaved": N_("Het model heeft wijzigingen die nog niet in gebruik zijn genomen."),
}


@lru_cache(maxsize=1)
def shipped_lanes() -> frozenset[str]:
    """Lane names used by the models shipped in bpmn/ (the group roles the engine maps)."""
    names: set[str] = set()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for path in Path(BPMN_DIR).glob("*.bpmn"):
        root = etree.fromstring(path.read_bytes(), parser)
        names |= {lane.get("name", "") for lane in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}lane")}
    return frozenset(n for n in names if n)


def operator_parameters(name: str) -> list[str]:
    """The parameter names a registered service operator takes (its keyword arguments after the context)."""
    try:
        signature = inspect.signature(registry.get_service(name))
    except (KeyError, TypeError, ValueError):
        return []
    params = list(signature.parameters.values())[1:]  # the first is the ServiceContext
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def editor_config(key: str) -> dict[str, Any]:
    """Everything process_modeler.js needs, in the reader's language."""
    base = f"{request.script_root}/werk/beheer/processen/{key}"
    forms = sorted(k for k in registry.form_keys() if not k.startswith("message:"))
    lanes = sorted(shipped_lanes() | set(LANE_LABELS))
    return {
        "key": key,
        "checkUrl": f"{base}/controleren",
        "deployUrl": f"{base}/in-gebruik-nemen",
        "forms": [{"key": k, "label": translate(FORM_LABELS[k]) if k in FORM_LABELS else k} for k in forms],
        "operators": [{"name": n, "parameters": operator_parameters(n)} for n in sorted(registry.service_names())],
        "lanes": [{"name": n, "label": translate(LANE_LABELS[n]) if n in LANE_LABELS else n} for n in lanes],
        "statuses": [{"key": k, "label": translate(v)} for k, v in statuses.LABELS.items()],
        "fieldTypes": [{"value": k, "label": translate(v)} for k, v in FIELD_TYPES.items()],
        "timerKinds": [{"value": k, "label": translate(v)} for k, v in TIMER_KINDS.items()],
        "texts": {k: translate(v) for k, v in TEXTS.items()},
    }


def _versions(key: str) -> list[ProcessDefinition]:
    return list(db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                   .order_by(ProcessDefinition.version.desc())))


def active_definition(key: str) -> Optional[ProcessDefinition]:
    """The version new cases start on (engine.deploy.active_definition: the one the city deployed or activated)."""
    return deploy_active_definition(key, required=False) if len(key) <= 100 else None


def _not_found(message: str):
    return render_template("error.html", message=message, code=404), 404


@bp.get("/beheer/processen/<key>/bewerken")
@requires("manage")
def process_editor(key: str):
    """The modeler on the active (or the asked) version of process `key`."""
    active = active_definition(key)
    if active is None:
        return _not_found(translate("Er is geen proces '{key}'.", key=key[:100]))
    versions = _versions(key)
    definition = active
    asked = request.args.get("versie", "").strip()
    if asked:
        chosen = next((v for v in versions if asked.isdigit() and v.version == int(asked)), None)
        if chosen is None:
            return _not_found(translate("Proces '{key}' heeft geen versie '{version}'.", key=key, version=asked[:20]))
        definition = chosen
    return render_template("staff/process_editor.html", key=key, definition=definition, active=active,
                           versions=versions, config=json.dumps(editor_config(key), ensure_ascii=False),
                           editor_url=url_for("staff.process_editor", key=key))
