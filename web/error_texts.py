"""What a page says for an error raised below the web layer, in the reader's language.

Engine and handler errors and marshmallow's field messages are written for the API, in English; a page
shows the Dutch text here (translated by the catalogue) instead, never the English one. Messages that are
Dutch already (the handlers' form checks) are looked up in the catalogue as they are; a `Phrase` (a Dutch
message with values, such as a limit) by its template, its values filled in after.
"""
from __future__ import annotations

import re

from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound

from .i18n import N_, Phrase, translate

# English message (a regular expression over the whole message) -> the Dutch text, with the groups as values
_MESSAGES: list[tuple[re.Pattern[str], str]] = [(re.compile(pattern), text) for pattern, text in [
    # marshmallow (fields and validators)
    (r"Missing data for required field\.", N_("Vul dit veld in.")),
    (r"Field may not be null\.", N_("Vul dit veld in.")),
    (r"Unknown field\.", N_("Dit veld hoort niet bij dit formulier.")),
    (r"Not a valid (string|utf-8 string)\.", N_("Geef een tekst.")),
    (r"Not a valid (integer|number)\.", N_("Geef een getal.")),
    (r"Number too large\.", N_("Dit getal is te groot.")),
    (r"Not a valid boolean\.", N_("Kies ja of nee.")),
    (r"Not a valid (date|datetime)\.", N_("Geef een datum, bijvoorbeeld 2026-12-02.")),
    (r"Not a valid email address\.", N_("Dit e-mailadres klopt niet.")),
    (r"Must be one of: .*\.", N_("Kies een van de mogelijkheden uit de lijst.")),
    (r"Longer than maximum length (?P<max>\d+)\.", N_("Maximaal {max} tekens.")),
    (r"Shorter than minimum length (?P<min>\d+)\.", N_("Minstens {min} tekens.")),
    (r"Invalid (value|input type|type)\.", N_("Deze waarde is niet geldig.")),
    # engine and handlers
    (r"(work item \d+|this task) is no longer open( \(\w+\))?",
     N_("Deze taak is niet meer open: iemand anders heeft ze intussen afgewerkt.")),
    (r"already taken by (?P<name>.+); use Overname to take it over",
     N_("Al opgenomen door {name}; kies Overname om de taak over te nemen.")),
    (r"the case was changed by someone else at the same time; reload and try again",
     N_("Het dossier werd tegelijk door iemand anders gewijzigd. Herlaad de pagina en probeer opnieuw.")),
    (r"the case has no open work for your group to hand over",
     N_("Het dossier heeft geen open werk van je groep om over te dragen.")),
    (r"a handover needs a note for the new group|write a note", N_("Schrijf een notitie voor de nieuwe groep.")),
    (r"choose an internal handler group|'.*' is not a group|same group|the case is already with this group",
     N_("Kies een andere behandelaarsgroep.")),
    (r"choose an active member of the group|not a member of this group", N_("Kies een actief lid van de groep.")),
    (r"the file is empty|empty file", N_("Het gekozen bestand is leeg.")),
    (r"the file is too large|at most (?P<megabytes>\d+) MB", N_("Het bestand is te groot.")),
    (r"this file type is not accepted|only [a-z0-9/.+-]+(, [a-z0-9/.+-]+)*",
     N_("Dit soort bestand wordt niet aanvaard.")),
    (r"the file storage cannot be reached right now; nothing was saved",
     N_("De opslag voor bestanden is nu niet bereikbaar; er werd niets bewaard. Probeer het later opnieuw.")),
    (r"the file storage cannot be reached right now; try again later",
     N_("De opslag voor bestanden is nu niet bereikbaar. Probeer het later opnieuw.")),
]]

# per kind of error, when the message itself has no text above
_BY_CLASS: list[tuple[type[EngineError], str]] = [
    (NotFound, N_("Deze pagina bestaat niet.")),
    (Forbidden, N_("U hebt geen toegang tot deze pagina.")),
    (Conflict, N_("Dit kon niet: het dossier werd intussen gewijzigd. Herlaad de pagina en probeer opnieuw.")),
    (InvalidInput, N_("De gegevens konden niet verwerkt worden. Controleer ze en probeer opnieuw.")),
]
_OTHER = N_("Er ging iets mis aan onze kant. Probeer het later opnieuw.")


def _known(message: str) -> str | None:
    if isinstance(message, Phrase):
        return translate(message)
    for pattern, text in _MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return translate(text, **match.groupdict())
    return None


def field_message(message: str) -> str:
    """A message about one form field, as the page shows it."""
    return _known(message) or translate(message)


def error_message(err: EngineError) -> str:
    """The text of an engine or handler error, as a page shows it (the API keeps `err.message`).

    An error raised by the web layer itself may carry its `page_text`, translated already.
    """
    page_text: str | None = getattr(err, "page_text", None)
    if page_text:
        return page_text
    known = _known(err.message)
    if known:
        return known
    for kind, text in _BY_CLASS:
        if isinstance(err, kind):
            return translate(text)
    return translate(_OTHER)
