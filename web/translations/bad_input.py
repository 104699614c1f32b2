"""English for the pages that refuse bad input or report an unreachable database (web/url_ids.py,
web/input_guard.py, web/outage.py)."""

EN = {
    "De parameter '{name}' in de link moet een geheel getal zijn.": "The parameter '{name}' in the link must be a "
                                                                    "whole number.",
    "De parameter '{name}' in de link moet tussen {low} en {high} liggen.": "The parameter '{name}' in the link "
                                                                            "must be between {low} and {high}.",
    "Wat u verstuurde bevat een teken dat we niet kunnen bewaren (een nul-teken). Ga terug, verwijder het teken en "
    "verstuur opnieuw.": "What you sent contains a character we cannot store (a NUL character). Go back, remove it "
                         "and send again.",
    "Dit veld bevatte een teken dat we niet kunnen bewaren (een nul-teken); we hebben het weggelaten. Controleer de "
    "tekst en verstuur opnieuw.": "This field contained a character we cannot store (a NUL character); we left it "
                                  "out. Check the text and send again.",
    "De databank is even niet bereikbaar. Probeer het over een minuut opnieuw.":
        "The database cannot be reached right now. Please try again in a minute.",
    "De databank is even niet bereikbaar; uw melding werd nog niet bewaard. Verstuur het formulier over een minuut "
    "opnieuw.": "The database cannot be reached right now; your report was not saved yet. Send the form again in "
                "a minute.",
}
