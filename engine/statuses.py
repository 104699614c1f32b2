"""Labels for the statuses that BPMN models put on their tasks and events (property `status`).

The status itself comes from the model; this table only words it for people, in Dutch (the English is in the
catalogues of web/translations).
"""
from __future__ import annotations

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


def label(status: str | None, language: str = "nl") -> str:
    """Human wording of a status; unknown statuses (from a newer model) are shown as they are."""
    if not status:
        return ""
    return in_language(language, LABELS[status]) if status in LABELS else status
