"""English for the notes of forms sent twice (web/form_tokens.py): the public form, task forms, post."""

EN = {
    "Deze melding was al verstuurd.": "This report had already been sent.",
    "We maakten er geen tweede melding van: dit is de melding die u eerder verstuurde.":
        "We did not make a second report of it: this is the report you sent before.",
    "Het formulier was verlopen; er werd niets opgeslagen. Controleer uw gegevens en verstuur opnieuw.":
        "The form had expired; nothing was saved. Check your details and send again.",
    "Het formulier was verlopen; er werd niets opgeslagen. Controleer en verstuur opnieuw.":
        "The form had expired; nothing was saved. Check and send again.",
    "{title}: al verwerkt (het formulier werd een tweede keer verstuurd; er gebeurde niets dubbel).":
        "{title}: already done (the form was sent a second time; nothing was done twice).",
    "Brief {reference}: al verwerkt (het formulier werd een tweede keer verstuurd; er werd niets dubbel "
    "geregistreerd).": "Letter {reference}: already done (the form was sent a second time; nothing was "
                       "registered twice).",
    "Niet opgeslagen: deze taak werd intussen al afgewerkt.":
        "Not saved: this task was completed by someone else meanwhile.",
    "Niet opgeslagen: het dossier werd tegelijk door iemand anders gewijzigd. Probeer opnieuw.":
        "Not saved: someone else changed the case at the same moment. Try again.",
}
EN.update({
    "U verstuurde dit formulier al: uw melding heeft het referentienummer {reference}.":
        "You already sent this form: your report has the reference {reference}.",
    "Opnieuw versturen maakt geen tweede melding.": "Sending it again does not make a second report.",
    "Een ander probleem melden": "Report another problem",
})
