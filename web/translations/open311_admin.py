"""English for the administration of Open311 client apps and their keys."""

EN = {
    "Open311-apps": "Open311 apps",
    "Elke app die meldingen maakt via Open311 (/open311/v2) krijgt een eigen sleutel. De app stuurt die mee in de "
    "POST body als api_key, nooit in de URL. Een ingetrokken sleutel werkt meteen niet meer.":
        "Every app that creates reports through Open311 (/open311/v2) gets a key of its own. The app sends it in "
        "the POST body as api_key, never in the URL. A revoked key stops working at once.",
    "Nieuwe sleutel voor {name}": "New key for {name}",
    "Bewaar deze sleutel nu: hij wordt maar één keer getoond en is nergens op te vragen.":
        "Store this key now: it is shown only once and cannot be looked up anywhere.",
    "App": "App", "Door": "By", "Laatst gebruikt": "Last used", "Nog nooit": "Never", "actief": "active",
    "ingetrokken op {date} door {name}": "revoked on {date} by {name}", "Intrekken": "Revoke",
    "Nog geen apps.": "No apps yet.", "Nieuwe app": "New app", "Naam van de app": "Name of the app",
    "Sleutel maken": "Make a key",
    "De app '{name}' heeft al een actieve sleutel. Trek die eerst in.":
        "The app '{name}' already has an active key. Revoke it first.",
    "Geef de app een naam.": "Give the app a name.",
    "Gebruik voor de naam hoogstens 80 letters, cijfers, spaties en . - _ ( ) /.":
        "Use at most 80 letters, digits, spaces and . - _ ( ) / for the name.",
    "De sleutel van {name} is ingetrokken.": "The key of {name} has been revoked.",
}
