"""Dutch UI text with English available: templates write `_('Dutch text')`, English comes from this table.

Dutch (Flemish usage) is the source language, so a missing translation shows Dutch, never a key.
"""
from __future__ import annotations

from flask import g, request
from flask_login import current_user

LANGUAGES = ("nl", "en")

EN: dict[str, str] = {
    "Aanmelden": "Log in", "Afmelden": "Log out", "Gebruikersnaam": "Username", "Wachtwoord": "Password",
    "Meldkamer": "Dispatch desk", "Wachtrij": "Queue", "Beheer": "Administration", "Gebruikers": "Users",
    "Groepen": "Groups", "Routering": "Routing", "Uitgaande mails": "Outgoing mail",
    "Aannemersopdrachten": "Contractor orders", "Dossier": "Case", "Verloop": "Timeline",
    "Nr": "No.", "Naam": "Name", "Datum": "Date", "Locatie": "Location", "Categorie": "Category",
    "Status": "Status", "Deadline": "Deadline", "In behandeling door": "Handled by", "Acties": "Actions",
    "Overzicht": "Overview", "Overname": "Take over", "Opnemen": "Take", "Toewijzen": "Assign",
    "Overdragen": "Hand over", "Zoeken": "Search", "Filteren": "Filter", "Volgende pagina": "Next page",
    "Eerste pagina": "First page", "Geen dossiers": "No cases", "Voorstel": "Suggestion", "Reden": "Reason",
    "Doorsturen": "Dispatch", "Doorverwijzen": "Refer elsewhere", "Dubbele melding": "Duplicate",
    "Melder": "Reporter", "Andere meldingen van deze melder": "Other cases of this reporter",
    "Bijlagen": "Attachments", "Omschrijving": "Description", "Opslaan": "Save", "Versturen": "Send",
    "Taal": "Language", "Te laat": "Overdue", "Alle": "All", "Open": "Open", "Groep": "Group",
    "Rol": "Role", "Actief": "Active", "Nieuwe gebruiker": "New user", "Leeftijd": "Age",
    "dagen": "days", "Aannemer": "Contractor", "Opdracht": "Order", "Geen": "None",
    "Interne notitie": "Internal note", "Publieke tekst": "Public text", "Niet toegewezen": "Unassigned",
    "Alleen te laat": "Overdue only", "Alleen van mij": "Mine only", "Wachtend werk": "Waiting work",
    "Openbare tekst voor de melder": "Public text for the reporter", "Aanmaken": "Create",
    "Je bent afgemeld.": "You have been logged out.", "Onbekende gebruiker of fout wachtwoord.":
    "Unknown user or wrong password.", "Je sessie is verlopen; meld je opnieuw aan.":
    "Your session has expired; please log in again.",
}


def current_language() -> str:
    """The user's language, else the `lang` cookie, else Dutch."""
    if "lang" in g:
        return g.lang
    lang = None
    if current_user and getattr(current_user, "is_authenticated", False):
        lang = current_user.language
    lang = request.cookies.get("lang") or lang
    g.lang = lang if lang in LANGUAGES else "nl"
    return g.lang


def translate(text: str, **values) -> str:
    """Translate a Dutch UI string into the current language and fill `{name}` values."""
    out = EN.get(text, text) if current_language() == "en" else text
    return out.format(**values) if values else out
