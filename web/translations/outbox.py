"""English for the outbox page, the mail server's state and mails that could not be delivered."""

EN = {
    "Mailserver": "Mail server",
    "Geen SMTP-server ingesteld (MELDPUNT_SMTP_HOST): er wordt niets verstuurd.":
        "No SMTP server configured (MELDPUNT_SMTP_HOST): nothing is sent.",
    "SMTP-server onbereikbaar sinds {since} ({count} mislukte verbindingen); volgende poging om {next}. "
    "De wachtende mails verliezen daardoor geen pogingen.":
        "SMTP server unreachable since {since} ({count} failed connections); next try at {next}. "
        "The waiting mails lose no attempts because of it.",
    "Laatste fout": "Last error",
    "SMTP-server {host} bereikbaar.": "SMTP server {host} reachable.",
    "Laatst verbonden om {at}.": "Last connected at {at}.",
    "Onderbrekingen tot nu toe: {count}": "Outages so far: {count}",
    "Alle mislukte opnieuw versturen": "Send all failed mails again",
    "Opnieuw versturen": "Send again",
    "Onbekende mail.": "Unknown mail.",
    "Alleen een mislukte mail kan opnieuw verstuurd worden.": "Only a failed mail can be sent again.",
    "{count} mail(s) opnieuw klaargezet: ze vertrekken bij de volgende verzending.":
        "{count} mail(s) queued again: they leave with the next sending run.",
    "Er zijn geen mislukte mails.": "There are no failed mails.",
    "Opdrachtmail kon niet bezorgd worden: {reason}": "The order mail could not be delivered: {reason}",
}
