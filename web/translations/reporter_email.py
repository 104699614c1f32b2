"""English for the reporter's failing e-mail address on the staff case page."""

EN = {
    "Dit e-mailadres werkt niet (bounce op {date}): er gaan geen mails meer naartoe tot het opnieuw wordt opgegeven.":
        "This e-mail address does not work (bounce on {date}): no more mails go to it until it is given again.",
}
