"""English for the mark on work that came back after an answer (queue and case page)."""

EN = {
    "antwoord ontvangen": "answer received",
    "geen reactie ontvangen": "no reply received",
}
