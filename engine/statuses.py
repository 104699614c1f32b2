"""Labels for the statuses that BPMN models put on their tasks and events (property `status`).

The status itself comes from the model; this table only words it for people, in Dutch (the English is in the
catalogues of web/translations).
"""
from __future__ import annotations

from typing import Optional

from . import model_forms
from .i18n import N_, in_language

LABELS: dict[str, str] = {
    "ontvangen": N_("Ontvangen"),
    "toegewezen": N_("Doorgestuurd naar de behandelende dienst"),
    "in_behandeling": N_("In behandeling"),
    "wacht_op_melder": N_("Wacht op uw reactie"),
    "bij_aannemer": N_("Uitvoering door een aannemer"),
    "afgesloten": N_("Afgesloten"),
    "doorverwezen": N_("Doorverwezen"),
    "duplicaat": N_("Samengevoegd met een andere melding"),
    "heropenverzoek": N_("Verzoek tot heropenen"),
    # incoming post (bpmn/post.bpmn)
    "brief_klaar": N_("Antwoordbrief klaar voor verzending"),
    "herrouteren": N_("Wordt naar de juiste dienst gestuurd"),
    "fout": N_("Technisch probleem, wordt opgevolgd"),
    "beantwoord": N_("Beantwoord"),
    "omgezet": N_("Omgezet naar een melding"),
}

CLOSED = {"afgesloten", "doorverwezen", "duplicaat", "omgezet"}


def label(status: str | None, language: str = "nl", definition_id: Optional[int] = None) -> str:
    """Human wording of a status: the label the case's own model gives it (status_label_nl/_en, read once per
    definition), else Meldpunt's own; a status nobody words is shown as it is."""
    if not status:
        return ""
    if definition_id is not None:
        declared = model_forms.status_label(definition_id, status, language)
        if declared:
            return declared
    return in_language(language, LABELS[status]) if status in LABELS else status
