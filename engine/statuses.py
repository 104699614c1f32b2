"""Labels for the statuses that BPMN models put on their tasks and events (property `status`).

The status itself comes from the model; this table only words it for people, in Dutch and English.
"""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "ontvangen": {"nl": "Ontvangen", "en": "Received"},
    "toegewezen": {"nl": "Doorgestuurd naar de behandelende dienst", "en": "Passed to the handling team"},
    "in_behandeling": {"nl": "In behandeling", "en": "In progress"},
    "wacht_op_melder": {"nl": "Wacht op uw reactie", "en": "Waiting for your reply"},
    "bij_aannemer": {"nl": "Uitvoering door een aannemer", "en": "Work ordered from a contractor"},
    "afgesloten": {"nl": "Afgesloten", "en": "Closed"},
    "doorverwezen": {"nl": "Doorverwezen", "en": "Referred elsewhere"},
    "duplicaat": {"nl": "Samengevoegd met een andere melding", "en": "Merged with another report"},
    "heropenverzoek": {"nl": "Verzoek tot heropenen", "en": "Reopen requested"},
    # incoming post (bpmn/post.bpmn)
    "brief_klaar": {"nl": "Antwoordbrief klaar voor verzending", "en": "Reply letter ready to be sent"},
    "herrouteren": {"nl": "Wordt naar de juiste dienst gestuurd", "en": "Being passed to the right team"},
    "fout": {"nl": "Technisch probleem, wordt opgevolgd", "en": "Technical problem, being looked into"},
    "beantwoord": {"nl": "Beantwoord", "en": "Answered"},
    "omgezet": {"nl": "Omgezet naar een melding", "en": "Turned into a report"},
}

CLOSED = {"afgesloten", "doorverwezen", "duplicaat", "omgezet"}


def label(status: str | None, language: str = "nl") -> str:
    """Human wording of a status; unknown statuses (from a newer model) are shown as they are."""
    if not status:
        return ""
    return LABELS.get(status, {}).get(language) or LABELS.get(status, {}).get("nl") or status
