"""English for the staff start page of a user who works in no queue (the rapportage role)."""

EN = {
    "Met de rol rapportage werk je niet in een wachtrij: de cijfers en de rapporten staan op het dashboard.":
        "With the reporting role you do not work in a queue: the figures and the reports are on the dashboard.",
    "Naar het dashboard": "Go to the dashboard",
}
