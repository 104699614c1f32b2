"""English for what reporters of merged meldingen see: the original's progress, feedback outcomes."""

EN = {
    "Opvolging van de eerdere melding": "Progress of the earlier report",
    "Hetzelfde probleem werd ons al eerder gemeld. Uw melding werd daarmee samengevoegd: hier ziet u hoe ver de "
    "behandeling ervan staat.": "The same problem had already been reported to us. Your report was merged with "
                                "it: here you can see how far its handling has come.",
    "Uw melding wordt intussen al opnieuw behandeld. Zodra ze afgehandeld is, krijgt u opnieuw een e-mail.":
        "Your report is already being handled again. You will get another e-mail as soon as it has been dealt with.",
    "De termijn om de melding te laten heropenen is voorbij. We hebben uw reactie doorgegeven aan het team dat de "
    "melding behandelde. Is het probleem er nog? Doe dan gerust een nieuwe melding.":
        "The period in which the report could be reopened is over. We have passed your reaction on to the team "
        "that handled the report. Is the problem still there? Then please make a new report.",
    "Uw melding wordt opnieuw behandeld": "Your report is being handled again",
    "Uw melding wordt intussen opnieuw behandeld. Zodra ze afgehandeld is, krijgt u een e-mail en kunt u opnieuw "
    "laten weten of u tevreden bent.": "Your report is meanwhile being handled again. As soon as it has been dealt "
                                       "with, you will get an e-mail and can tell us again whether you are satisfied.",
}
