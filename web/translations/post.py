"""English for the incoming-post pages: registration, the letter's facts and the task forms of bpmn/post.bpmn."""
from handlers.post_deadlines import MAX_DAYS
from intake.post_intake import MAX_ADDRESS, MAX_NAME, MAX_SCAN_MB, MAX_SUBJECT, MSG

EN = {
    # registration page and navigation
    "Post registreren": "Register post",
    "De brief werd niet geregistreerd. Verbeter de fouten hieronder.":
        "The letter was not registered. Correct the errors below.",
    "Kies de scan opnieuw: een gekozen bestand kan niet bewaard worden tussen twee pogingen.":
        "Choose the scan again: a chosen file cannot be kept between two attempts.",
    "Afzender": "Sender", "Adres": "Address", "Brief": "Letter", "Onderwerp": "Subject",
    "E-mailadres (niet verplicht: dan krijgt de afzender een ontvangstbevestiging)":
        "E-mail address (optional: with it the sender gets an acknowledgement)",
    "Ontvangen op": "Received on", "Geschreven op (datum van de brief)": "Written on (the date on the letter)",
    "Soort brief": "Kind of letter", "Vraag": "Question", "Klacht": "Complaint", "Bezwaar": "Objection",
    "Factuur": "Invoice", "Ter informatie": "For information", "Aangetekende zending": "Registered mail",
    "Scan (PDF, maximaal {mb} MB)": "Scan (PDF, at most {mb} MB)", "Behandelaarsgroep": "Handler group",
    "Volgens de routeringsregels (voorstel op het onderwerp)": "By the routing rules (suggested from the subject)",
    "Antwoordtermijn in dagen (leeg: de standaard voor het soort brief)":
        "Answer deadline in days (empty: the default for the kind of letter)",
    "standaard": "default", "kalenderdagen": "calendar days", "werkdagen": "working days",
    "Standaardtermijnen": "Default deadlines",
    "ter informatie: geen antwoord, het dossier sluit na het doorsturen":
        "for information: no answer, the case closes once it has been passed on",
    "Registreren en doorsturen": "Register and pass on", "Laatst door u geregistreerd": "Your latest registrations",
    "U registreerde nog geen brieven.": "You have not registered any letters yet.",
    "Brief geregistreerd als {reference} (scan van {pages} blz.) en doorgestuurd naar {group}.":
        "Letter registered as {reference} (scan of {pages} pages) and passed to {group}.",
    # the letter's facts on the case page
    "Inkomende brief": "Incoming letter", "aangetekend": "registered mail", "Geschreven op": "Written on",
    "Antwoordtermijn": "Answer deadline", "geen: ter informatie": "none: for information", "Scan": "Scan",
    "{count} pagina’s": "{count} pages", "1 pagina": "1 page", "Geregistreerd door": "Registered by",
    "Antwoordbrieven": "Reply letters", "versie {version}": "version {version}",
    "verzonden op {date}": "sent on {date}", "Nog geen antwoordbrief.": "No reply letter yet.",
    # task forms
    "Wat doe je met deze brief?": "What do you do with this letter?",
    "Antwoordbrief opmaken met de tekst hieronder": "Make the reply letter with the text below",
    "Terugsturen naar het onthaal: de brief hoort niet bij onze groep":
        "Send back to the front office: the letter does not belong with our group",
    "Tekst van het antwoord (een witregel begint een nieuwe alinea)":
        "Text of the answer (a blank line starts a new paragraph)",
    "De brief krijgt het briefhoofd van de stad, de aanspreking, de referenties en onderaan je naam, je groep en "
    "een QR-code naar de volgpagina.":
        "The letter gets the city's letterhead, the salutation, the references and, at the bottom, your name, your "
        "group and a QR code to the tracking page.",
    "Waarom terug naar het onthaal?": "Why back to the front office?",
    "Download de antwoordbrief, print en onderteken hem en verstuur hem per post:":
        "Download the reply letter, print and sign it, and send it by post:",
    "Verzending": "Sending", "De brief is verzonden (het dossier wordt afgesloten)":
        "The letter has been sent (the case is closed)",
    "De tekst aanpassen en een nieuwe versie opmaken": "Change the text and make a new version",
    "Verzonden op": "Sent on", "Nieuwe behandelaarsgroep": "New handler group",
    "De antwoordtermijn blijft dezelfde: ze loopt vanaf de ontvangst van de brief.":
        "The answer deadline stays the same: it runs from the day the letter was received.",
}

# The registration's error messages (intake/post_intake.py MSG), by their key there.
EN.update({MSG[key]: text for key, text in {
    "name": "Fill in the sender's name.",
    "name_long": f"The name is too long (at most {MAX_NAME} characters).",
    "address": "Fill in the sender's address: the answer goes by post.",
    "address_long": f"The address is too long (at most {MAX_ADDRESS} characters).",
    "email": "This e-mail address is not correct. Check it, for example name@example.be.",
    "date": "Give a date, for example 2026-12-02.",
    "received": "Fill in the date the letter was received.",
    "received_future": "The date received lies in the future.",
    "written_after": "The letter cannot have been written after the date it was received.",
    "subject": "Fill in the subject of the letter.",
    "subject_long": f"The subject is too long (at most {MAX_SUBJECT} characters).",
    "kind": "Choose the kind of letter: question, complaint, objection, invoice or for information.",
    "scan": "Add the scan of the letter (a PDF file).",
    "scan_empty": "The chosen file is empty. Scan the letter again.",
    "scan_big": f"The scan is too large (at most {MAX_SCAN_MB} MB). Scan at a lower resolution or in greyscale.",
    "scan_type": "This file is not a PDF. Choose the scan as a PDF file.",
    "scan_broken": "This PDF cannot be opened (damaged or protected). Scan the letter again.",
    "scan_pages": "This PDF has no pages. Scan the letter again.",
    "group": "Choose an active handler group.",
    "group_none": "Choose a handler group: the routing rules suggest none for this subject.",
    "days": f"Give the answer deadline as a number of days from 1 to {MAX_DAYS}.",
    "unit": "Choose calendar days or working days.",
}.items()})
