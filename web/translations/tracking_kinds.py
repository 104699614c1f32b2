"""English for the public tracking page's title per kind of case (an infomail, a letter)."""

EN = {
    "Uw vraag per e-mail ({reference})": "Your question by e-mail ({reference})",
    "Uw brief ({reference})": "Your letter ({reference})",
}
