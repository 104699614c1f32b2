"""English for login throttling, ended sessions, the security log and rate-limit messages."""

EN = {
    # the login page
    "Te veel mislukte aanmeldpogingen voor deze gebruikersnaam. Probeer het opnieuw over {minutes} minuten, of vraag "
    "de beheerder om het account te ontgrendelen.":
        "Too many failed login attempts for this username. Try again in {minutes} minutes, or ask the administrator "
        "to unlock the account.",
    "Te veel mislukte aanmeldpogingen vanaf deze verbinding. Probeer het opnieuw over {minutes} minuten.":
        "Too many failed login attempts from this connection. Try again in {minutes} minutes.",
    # administration: users, locks, sessions
    "Vergrendelde accounts": "Locked accounts",
    "Na te veel foute wachtwoorden blijft een account een kwartier dicht, ook voor het juiste wachtwoord. "
    "Ontgrendel het als de medewerker zelf belt.":
        "After too many wrong passwords an account stays closed for a quarter of an hour, even for the right "
        "password. Unlock it when the staff member calls in person.",
    "Vergrendeld tot": "Locked until", "Ontgrendelen": "Unlock",
    "Account {name} ontgrendeld.": "Account {name} unlocked.",
    "Aanmelden en sessies": "Login and sessions",
    "Een nieuw wachtwoord of deactiveren meldt deze gebruiker overal af. Deactiveren trekt ook het API-token in; een "
    "nieuw wachtwoord niet.":
        "A new password or deactivation logs this user out everywhere. Deactivation also revokes the API token; a "
        "new password does not.",
    "Alle sessies beëindigen": "End all sessions",
    "Alle sessies van {name} zijn beëindigd.": "All sessions of {name} have been ended.",
    # the security log
    "Beveiliging": "Security",
    "Vergrendelde accounts, geblokkeerde verbindingen, ontgrendelingen en beëindigde sessies, de nieuwste eerst.":
        "Locked accounts, blocked connections, unlocks and ended sessions, newest first.",
    "Wanneer": "When", "Wat": "What", "Door": "By", "IP-adres": "IP address", "Details": "Details",
    "Nog niets gebeurd.": "Nothing has happened yet.",
    "Account vergrendeld na te veel foute wachtwoorden": "Account locked after too many wrong passwords",
    "Verbinding geblokkeerd na te veel mislukte aanmeldingen": "Connection blocked after too many failed logins",
    "Account ontgrendeld": "Account unlocked",
    "Alle sessies beëindigd": "All sessions ended",
    # public forms over their rate limit
    "Wat u invulde, staat hieronder nog klaar.": "What you filled in is still below.",
    "Te veel pogingen vanaf deze verbinding. Er werd niets verstuurd; probeer het opnieuw over {minutes} minuten.":
        "Too many attempts from this connection. Nothing was sent; please try again in {minutes} minutes.",
}
