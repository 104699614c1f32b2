"""English for the infomail pages: the onthaal's triage form, the group's answer form, the mail's facts."""

EN = {
    # staff/forms/mail_triage.html
    "Zelf beantwoorden (vanuit het info-adres)": "Answer it yourself (from the info address)",
    "Omzetten naar een melding": "Turn into a report",
    "Doorsturen naar een behandelaarsgroep met een antwoordtermijn":
        "Pass to a handler group with an answer deadline",
    "Geen antwoord nodig (spam, nieuwsbrief, bedankje)": "No answer needed (spam, newsletter, thank-you)",
    "Antwoord aan de afzender (bij zelf beantwoorden)": "Answer to the sender (when answering yourself)",
    "Categorie van de melding (bij omzetten, optioneel)": "Category of the report (when turning it into one, optional)",
    "(geen: de meldkamer kiest)": "(none: the dispatch desk chooses)",
    "Behandelaarsgroep (bij doorsturen)": "Handler group (when passing it on)",
    "Antwoordtermijn in werkdagen (bij doorsturen)": "Answer deadline in working days (when passing it on)",
    "Interne reden (bij geen antwoord nodig)": "Internal reason (when no answer is needed)",
    # staff/forms/mail_answer.html
    "Beantwoorden (vanuit het info-adres)": "Answer (from the info address)",
    "Terugsturen naar het onthaal": "Send back to the front office",
    "Antwoord aan de afzender": "Answer to the sender",
    "Reden (bij terugsturen)": "Reason (when sending it back)",
    # staff/kinds/mail.html and staff/nav/mail.html
    "E-mail": "E-mail", "Onderwerp": "Subject", "Van": "From", "Ontvangen": "Received", "Tekst": "Text",
    "Briefwisseling": "Correspondence", "Antwoord van": "Answer by", "Reactie van de afzender": "Reply from the sender",
    "Omgezet naar melding": "Turned into report", "Infomail": "Info mail",
}
