"""English for the pages of the mailbox intake (administration of incoming mails)."""

EN = {
    "Inkomende mails": "Incoming mail",
    "Meldpunt leest de map {folder} op {host}. Elke mail wordt één keer verwerkt.":
        "Meldpunt reads the folder {folder} on {host}. Every mail is processed once.",
    "Er is geen mailbox ingesteld (MELDPUNT_IMAP_HOST); mails komen alleen binnen met meldpunt mail import.":
        "No mailbox is configured (MELDPUNT_IMAP_HOST); mails only come in with meldpunt mail import.",
    "nieuw dossier": "new case", "bij dossier gevoegd": "added to a case", "genegeerd": "ignored",
    "foutmelding": "bounce", "mislukt": "failed", "Ontvangen": "Received", "Van": "From", "Onderwerp": "Subject",
    "Uitkomst": "Outcome", "Opnieuw verwerken": "Process again",
    "Alleen een mislukte mail kan opnieuw verwerkt worden.": "Only a failed mail can be processed again.",
    "Onbekende inkomende mail.": "Unknown incoming mail.",
    "Opnieuw mislukt: {reason}": "Failed again: {reason}", "Verwerkt: {reason}": "Processed: {reason}",
}
