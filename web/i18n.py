"""Dutch UI text with English available: templates write `_('Dutch text')`, English comes from this table.

Dutch (Flemish usage) is the source language, so a missing translation shows Dutch, never a key.
"""
from __future__ import annotations

from flask import g, request
from flask_login import current_user

LANGUAGES = ("nl", "en")

EN: dict[str, str] = {
    "Aanmelden": "Log in", "Afmelden": "Log out", "Gebruikersnaam": "Username", "Wachtwoord": "Password",
    "Meldkamer": "Dispatch desk", "Wachtrij": "Queue", "Beheer": "Administration", "Gebruikers": "Users",
    "Groepen": "Groups", "Routering": "Routing", "Uitgaande mails": "Outgoing mail",
    "Aannemersopdrachten": "Contractor orders", "Dossier": "Case", "Verloop": "Timeline",
    "Nr": "No.", "Naam": "Name", "Datum": "Date", "Locatie": "Location", "Categorie": "Category",
    "Status": "Status", "Deadline": "Deadline", "In behandeling door": "Handled by", "Acties": "Actions",
    "Overzicht": "Overview", "Overname": "Take over", "Opnemen": "Take", "Toewijzen": "Assign",
    "Overdragen": "Hand over", "Zoeken": "Search", "Filteren": "Filter", "Volgende pagina": "Next page",
    "Eerste pagina": "First page", "Geen dossiers": "No cases", "Voorstel": "Suggestion", "Reden": "Reason",
    "Doorsturen": "Dispatch", "Doorverwijzen": "Refer elsewhere", "Dubbele melding": "Duplicate",
    "Melder": "Reporter", "Andere meldingen van deze melder": "Other cases of this reporter",
    "Bijlagen": "Attachments", "Omschrijving": "Description", "Opslaan": "Save", "Versturen": "Send",
    "Taal": "Language", "Te laat": "Overdue", "Alle": "All", "Open": "Open", "Groep": "Group",
    "Rol": "Role", "Actief": "Active", "Nieuwe gebruiker": "New user", "Leeftijd": "Age",
    "dagen": "days", "Aannemer": "Contractor", "Opdracht": "Order", "Geen": "None",
    "Interne notitie": "Internal note", "Publieke tekst": "Public text", "Niet toegewezen": "Unassigned",
    "Alleen te laat": "Overdue only", "Alleen van mij": "Mine only", "Wachtend werk": "Waiting work",
    "Openbare tekst voor de melder": "Public text for the reporter", "Aanmaken": "Create",
    "Je bent afgemeld.": "You have been logged out.", "Onbekende gebruiker of fout wachtwoord.":
    "Unknown user or wrong password.", "Je sessie is verlopen; meld je opnieuw aan.":
    "Your session has expired; please log in again.",
    "Meld je aan om verder te gaan.": "Log in to continue.",
    # staff: case page and the forms of its tasks
    "Procesfout": "Process error", "Kanaal": "Channel", "Dubbel van": "Duplicate of",
    "Wacht op {group}.": "Waiting for {group}.", "intern": "internal", "{title} voltooid": "{title} completed",
    "Contactgegevens niet zichtbaar voor je rol.": "Contact details not visible for your role.",
    "Anonieme melding.": "Anonymous report.", "publiek": "public",
    "Overdragen aan een andere groep": "Hand over to another group",
    "Notitie voor de nieuwe groep": "Note for the new group",
    "Beslissing": "Decision", "Doorsturen naar een behandelaarsgroep": "Dispatch to a handler group",
    "Doorverwijzen (buiten de stad), met uitleg": "Refer elsewhere (outside the city), with an explanation",
    "Dubbele melding van een ander dossier": "Duplicate of another case", "voorstel": "suggestion",
    "(ongewijzigd: {category})": "(unchanged: {category})", "geen": "none",
    "Uitleg voor de melder (bij doorverwijzen)": "Explanation for the reporter (when referring elsewhere)",
    "Referentie van het originele dossier (bij dubbele melding)": "Reference of the original case (for a duplicate)",
    "De melder krijgt een mail dat de melding in behandeling is.":
    "The reporter gets an email saying that the report is being handled.",
    "Volgende stap": "Next step", "Afsluiten met een tekst voor de melder": "Close with a text for the reporter",
    "Informatie vragen aan de melder": "Ask the reporter for information",
    "Opdracht geven aan een aannemer": "Order work from a contractor",
    "Terugsturen naar de meldkamer": "Send back to the dispatch desk",
    "Openbare tekst voor de melder (bij afsluiten)": "Public text for the reporter (when closing)",
    "Vraag aan de melder": "Question for the reporter", "Opdracht voor de aannemer": "Instructions for the contractor",
    "Heropenen en opnieuw behandelen": "Reopen and handle again",
    "Gesloten houden (met uitleg)": "Keep closed (with an explanation)",
    "Uitleg voor de melder (bij gesloten houden)": "Explanation for the reporter (when keeping it closed)",
    "Niet opgeslagen: {message}": "Not saved: {message}", "{title}: opgeslagen.": "{title}: saved.",
    "Opgeslagen.": "Saved.", "Kies een collega.": "Choose a colleague.", "Overgedragen.": "Handed over.",
    # staff: queues and contractor orders
    "M2026-000123, straat, omschrijving": "M2026-000123, street, description",
    "In behandeling nemen": "Take into handling", "Melding behandelen": "Handle the report",
    "Heropeningsverzoek beoordelen": "Review the request to reopen",
    "Je bent nog geen lid van een behandelaarsgroep. Vraag de beheerder om je toe te voegen.":
    "You are not a member of a handler group yet. Ask the administrator to add you.",
    "Wacht op antwoord": "Waiting for an answer", "Gepland": "Planned", "Gepland op {date}": "Planned for {date}",
    # staff: administration
    "Sleutel": "Key", "Soort": "Kind", "E-mail": "Email", "Leden": "Members", "meldkamer": "dispatch desk",
    "behandelaarsgroep": "handler group", "aannemer": "contractor", "ja": "yes", "nee": "no",
    "Nieuwe groep": "New group", "leeg laten om te behouden": "leave empty to keep",
    "Gebruiker {name} bewaard.": "User {name} saved.", "Groep {name} bewaard.": "Group {name} saved.",
    "Mails worden in dezelfde transactie als de wijziging aan het dossier klaargezet. Zolang er geen SMTP-server "
    "ingesteld is, blijven ze hier staan.": "Mails are queued in the same transaction as the change to the case. "
    "As long as no SMTP server is configured, they stay here.",
    "wachtend": "pending", "verstuurd": "sent", "mislukt": "failed", "Aangemaakt": "Created", "Aan": "To",
    "Sjabloon": "Template",
    # staff: routing rules and the routing test
    "Volgorde": "Position", "Lager nummer gaat voor; de eerste regel die past, wint.":
    "Lower numbers go first; the first rule that matches wins.",
    "(kies een groep)": "(choose a group)", "niet actief": "not active",
    "Voorwaarden (alle ingevulde moeten kloppen)": "Conditions (all that are filled in must match)",
    "(elke categorie)": "(any category)", "(elk kanaal)": "(any channel)", "Trefwoorden": "Keywords",
    "Gescheiden door komma’s; één volstaat. Hele woorden, meervoud en verkleinwoord tellen mee (lamp: lampen, "
    "lampje); met * achteraan telt elk woord dat zo begint (fiets*).": "Separated by commas; one is enough. "
    "Whole words count, with their plural and diminutive (lamp: lampen, lampje); with * at the end, every word "
    "that starts like that counts (fiets*).",
    "Gebied": "Area", "Alle vier de grenzen, of geen enkele. Een melding zonder coördinaten valt nooit in een gebied.":
    "All four bounds, or none. A report without coordinates never falls within an area.",
    "Breedtegraad van – tot": "Latitude from – to", "Lengtegraad van – tot": "Longitude from – to",
    "(geen categorie)": "(no category)", "Breedtegraad en lengtegraad": "Latitude and longitude",
    "Bij een nieuwe melding gaan de actieve regels in deze volgorde; de eerste die past, stelt haar groep voor. "
    "Past er geen, dan geldt de standaardgroep van de categorie.": "For a new report the active rules are checked "
    "in this order; the first one that matches suggests its group. If none matches, the default group of the "
    "category applies.",
    "Routering testen": "Test routing", "Voorwaarden": "Conditions",
    "niet actief: regel wordt overgeslagen": "not active: the rule is skipped", "Verwijderen": "Delete",
    "Nog geen regels: elke melding krijgt de standaardgroep van haar categorie.":
    "No rules yet: every report gets the default group of its category.",
    "Nieuwe regel": "New rule", "Nieuwe regel maken": "Create a new rule", "Testmelding": "Test report",
    "Probeer deze regel uit, alsof ze bewaard is, samen met de andere regels. Er wordt niets bewaard.":
    "Try this rule out as if it were saved, together with the other rules. Nothing is saved.",
    "Test deze regel": "Test this rule",
    "Welke groep zou een melding krijgen? Er wordt niets bewaard.": "Which group would a report get? Nothing is saved.",
    "Terug naar de regels": "Back to the rules", "Resultaat": "Result",
    "geen: de meldkamer kiest": "none: the dispatch desk chooses",
    "Met de concept-regel '{name}' op volgorde {position}": "With the draft rule '{name}' at position {position}",
    "in de plaats van de bewaarde versie": "instead of the saved version", "Regel": "Rule", "Past": "Matches",
    "Uitleg": "Explanation", "concept": "draft", "gekozen": "chosen", "Geen regels.": "No rules.",
    "Vul een testmelding in en kies Testen.": "Fill in a test report and choose Test.",
    "Concept-regel": "Draft rule", "Testen": "Test", "Regel opslaan": "Save rule",
    "Zonder concept-regel testen": "Test without the draft rule",
    "{name} (met subcategorieën)": "{name} (with subcategories)",
    "Regel '{name}' bewaard.": "Rule '{name}' saved.", "Regel '{name}' verwijderd.": "Rule '{name}' deleted.",
    "onbekende categorie": "unknown category", "kies een kanaal uit de lijst": "choose a channel from the list",
    "geef een getal, bijvoorbeeld 51.0278": "give a number, for example 51.0278",
    "een {label} ligt tussen -{limit} en {limit}": "a {label} lies between -{limit} and {limit}",
    "breedtegraad": "latitude", "lengtegraad": "longitude",
    "geef breedte- en lengtegraad allebei, of geen van beide": "give both latitude and longitude, or neither",
    # public pages: start page, tracking page, error page
    "Meldpunt volgt meldingen over het openbaar domein op, van ontvangst tot afsluiting.":
    "Meldpunt follows up reports about public space, from receipt to closure.",
    "Hebt u een melding gedaan? Gebruik de volglink in uw e-mail om te zien hoe ver ze staat.":
    "Did you make a report? Use the tracking link in your email to see how far along it is.",
    "Voor medewerkers en toepassingen": "For staff and applications",
    "De API voor medewerkers is beschreven in": "The API for staff is described in",
    "Melding {reference}": "Report {reference}", "Behandeld door": "Handled by",
    "Verwacht antwoord uiterlijk": "Expected answer by",
    "Fout {code}": "Error {code}", "Niet gevonden": "Not found", "Er ging iets mis": "Something went wrong",
    "Controleer of u de volledige link uit uw e-mail gebruikt.":
    "Check that you use the complete link from your email.",
    "Terug naar de startpagina": "Back to the start page",
    "Deze pagina bestaat niet.": "This page does not exist.",
    "Deze actie is hier niet mogelijk.": "This action is not possible here.",
    "Het verstuurde bestand is te groot.": "The file you sent is too large.",
    "Te veel aanvragen; probeer het straks opnieuw.": "Too many requests; please try again shortly.",
    "Er ging iets mis aan onze kant. Probeer het later opnieuw.": "Something went wrong on our side. Please try again "
    "later.",
    # contractor portal
    "Opdracht {reference}": "Order {reference}", "Werkopdracht {reference}": "Work order {reference}",
    "Wacht op uw antwoord": "Waiting for your answer", "Uitgevoerd": "Done", "Geweigerd": "Refused",
    "Deze opdracht is al gemeld als uitgevoerd. U hoeft niets meer te doen.":
    "This order has already been reported as done. You do not need to do anything else.",
    "Deze opdracht werd geweigerd. U hoeft niets meer te doen.":
    "This order was refused. You do not need to do anything else.",
    "Deze opdracht wacht niet meer op een antwoord van u. Neem contact op met de stad als u vragen hebt.":
    "This order no longer waits for an answer from you. Contact the city if you have questions.",
    "Er werd niets gewijzigd.": "Nothing was changed.",
    "Uw melding kon door een technisch probleem niet verwerkt worden. Probeer het later opnieuw of neem contact op "
    "met de stad.": "Your report could not be processed because of a technical problem. Try again later or "
    "contact the city.",
    "Besteld op": "Ordered on", "Niet opgegeven": "Not given", "Bekijk op de kaart": "View on the map",
    "Wat moet er gebeuren": "What needs to be done", "Zie de omschrijving van de melding.":
    "See the description of the report.", "Omschrijving van de melding": "Description of the report",
    "Opdracht verstuurd door de stad": "Order sent by the city", "Herinnering verstuurd": "Reminder sent",
    "Gemeld als uitgevoerd": "Reported as done", "Antwoord ontvangen": "Answer received",
    "Uw antwoord aan de stad": "Your answer to the city", "Andere datum doorgeven": "Give another date",
    "Opdracht aanvaarden en inplannen": "Accept and schedule the order", "Datum van uitvoering": "Date of the work",
    "Vandaag of later.": "Today or later.", "Opmerking (niet verplicht)": "Remark (optional)",
    "Inplannen": "Schedule", "Werken uitgevoerd": "Work done",
    "Wat werd er gedaan? (niet verplicht)": "What was done? (optional)", "Foto's (niet verplicht)": "Photos (optional)",
    "Maximaal {count} foto's, JPEG of PNG, elk tot 10 MB.": "At most {count} photos, JPEG or PNG, up to 10 MB each.",
    "Uitgevoerd melden": "Report as done", "Opdracht weigeren": "Refuse the order",
    "Reden van weigering": "Reason for refusing", "Weigeren": "Refuse",
    "Bedankt. De geplande datum is doorgegeven aan de stad.": "Thank you. The planned date has been passed on to "
    "the city.",
    "Bedankt. De stad weet nu dat de werken uitgevoerd zijn.": "Thank you. The city now knows that the work is done.",
    "Uw weigering is doorgegeven aan de stad. Zij zoeken een andere oplossing.": "Your refusal has been passed on "
    "to the city. They will look for another solution.",
    "Ongeldige link": "Invalid link", "Deze link is ongeldig. Controleer of u de volledige link uit de e-mail "
    "gebruikt. Lukt het niet, neem dan contact op met de stad.": "This link is invalid. Check that you use the "
    "complete link from the email. If that does not work, contact the city.",
    "Link verlopen": "Link expired", "Deze link is verlopen. Vraag de stad om een nieuwe link naar de opdracht.":
    "This link has expired. Ask the city for a new link to the order.",
    "Opdracht niet meer beschikbaar": "Order no longer available", "Deze opdracht bestaat niet meer. Neem contact "
    "op met de stad als u denkt dat dit niet klopt.": "This order no longer exists. Contact the city if you think "
    "this is wrong.",
    "Het formulier was verlopen of onvolledig; er werd niets opgeslagen. Controleer uw gegevens en verstuur "
    "opnieuw.": "The form had expired or was incomplete; nothing was saved. Check your details and send again.",
    "Kies de foto's opnieuw.": "Choose the photos again.",
    "De foto's zijn samen te groot. Stuur er minder of kleinere (maximaal {megabytes} MB per foto).":
    "The photos are too large together. Send fewer or smaller ones (at most {megabytes} MB per photo).",
    "{name}: het bestand is leeg.": "{name}: the file is empty.",
    "{name}: de foto is te groot (maximaal {megabytes} MB).":
    "{name}: the photo is too large (at most {megabytes} MB).",
    "{name}: dit is geen foto. Alleen JPEG of PNG is toegelaten.": "{name}: this is not a photo. Only JPEG or PNG "
    "is allowed.",
    "U kunt maximaal {count} foto's meesturen.": "You can send at most {count} photos.",
    "Vul de datum in waarop de werken gepland zijn.": "Fill in the date on which the work is planned.",
    "Dit is geen geldige datum. Gebruik dd/mm/jjjj.": "This is not a valid date. Use dd/mm/yyyy.",
    "De datum mag niet in het verleden liggen.": "The date may not lie in the past.",
    "Geef de reden waarom u de opdracht weigert.": "Give the reason why you refuse the order.",
    "Uw tekst is te lang (maximaal {count} tekens).": "Your text is too long (at most {count} characters).",
    "Kies wat u wilt melden.": "Choose what you want to report.",
    "Deze gegevens konden niet verwerkt worden. Controleer ze en probeer opnieuw.":
    "These details could not be processed. Check them and try again.",
    "Foto's": "Photos", "Foto bij melding {reference}": "Photo of report {reference}",
    # the feedback pages
    'Uw mening over melding {reference}': 'Your opinion on report {reference}',
    'Afgesloten op {date}': 'Closed on {date}',
    'Dit liet de stad u weten bij het afsluiten:': 'This is what the city told you when it closed your report:',
    'Bent u tevreden over de afhandeling van uw melding?': 'Are you satisfied with how your report was handled?',
    'Ja, ik ben tevreden': 'Yes, I am satisfied',
    'Nee, ik ben niet tevreden': 'No, I am not satisfied',
    'Wat vond u goed? (niet verplicht)': 'What did you like? (optional)',
    'Snel opgelost': 'Solved quickly',
    'Goed opgevolgd': 'Well followed up',
    'Vriendelijk contact': 'Friendly contact',
    'Wat ging er niet goed?': 'What went wrong?',
    'Probleem is niet opgelost': 'The problem has not been solved',
    'Het duurde te lang': 'It took too long',
    'Ik kreeg geen uitleg': 'I was given no explanation',
    'Andere reden': 'Other reason',
    'Bent u niet tevreden, dan bekijkt het team uw melding opnieuw.': 'If you are not satisfied, the team will look at your report again.',
    'Wilt u nog iets kwijt? (niet verplicht)': 'Anything else you would like to tell us? (optional)',
    'Maximaal {max} tekens.': 'At most {max} characters.',
    'U kunt antwoorden tot {date}.': 'You can answer until {date}.',
    'Bedankt voor uw mening': 'Thank you for your feedback',
    'Fijn dat u tevreden bent over de afhandeling van melding {reference}. Uw antwoord helpt ons om onze dienstverlening te verbeteren.': 'We are glad you are satisfied with how report {reference} was handled. Your answer helps us improve our service.',
    'Jammer dat u niet tevreden bent over de afhandeling van melding {reference}.': 'We are sorry you are not satisfied with how report {reference} was handled.',
    'Het team dat uw melding behandelde, bekijkt ze opnieuw. Het beslist of de melding heropend wordt en laat u per e-mail weten wat er gebeurt.': 'The team that handled your report will look at it again. They will decide whether to reopen it and let you know by e-mail what happens next.',
    'Bekijk het verloop van uw melding': 'See the progress of your report',
    'Naar de startpagina van Meldpunt': 'To the Meldpunt start page',
    'Deze link is ongeldig. Controleer of u de volledige link uit de e-mail gebruikt.': 'This link is not valid. Check that you are using the complete link from the e-mail.',
    'De termijn om te antwoorden is voorbij': 'The period for answering is over',
    'U kon tot 14 dagen na het afsluiten van uw melding laten weten of u tevreden bent. Die termijn is nu voorbij. Is het probleem er nog? Doe dan gerust een nieuwe melding.': 'You could tell us whether you were satisfied until 14 days after your report was closed. That period is now over. Is the problem still there? Then feel free to file a new report.',
    'Deze link is niet meer geldig': 'This link is no longer valid',
    'Uw melding werd intussen opnieuw behandeld en afgesloten. Gebruik de link uit de meest recente e-mail om uw mening te geven.': 'Your report has since been handled and closed again. Use the link in the most recent e-mail to give your opinion.',
    'U hebt al geantwoord': 'You have already answered',
    'Bedankt, we hebben uw mening over deze melding al ontvangen. U kunt maar één keer antwoorden.': 'Thank you, we have already received your opinion on this report. You can answer only once.',
    'Uw antwoord werd niet opgeslagen.': 'Your answer was not saved.',
    'Het formulier was verlopen of onvolledig; er werd niets opgeslagen. Controleer uw antwoord en verstuur opnieuw.': 'The form had expired or was incomplete; nothing was saved. Check your answer and send it again.',
    'Laat weten of u tevreden bent.': 'Let us know whether you are satisfied.',
    'Kies een van de antwoorden uit de lijst.': 'Choose one of the answers in the list.',
    'Vertel kort wat er niet goed ging.': 'Tell us briefly what went wrong.',
    'Uw tekst is te lang: {count} tekens, maximaal {max} tekens.': 'Your text is too long: {count} characters, at most {max}.',
    'Uw antwoord kon niet verwerkt worden. Controleer het en probeer opnieuw.': 'Your answer could not be processed. Check it and try again.',
    'Uw antwoord kon niet opgeslagen worden omdat uw melding net gewijzigd werd. Verstuur het opnieuw.': 'Your answer could not be saved because your report was changed just now. Please send it again.',
    'Uw antwoord kon door een technisch probleem niet verwerkt worden. Probeer het later opnieuw.': 'Your answer could not be processed because of a technical problem. Please try again later.',
    # privacy administration
    'Privacy': 'Privacy',
    'Gegevens van een melder opvragen': "Request a reporter's data",
    'Alles wat de stad over een melder bijhoudt (meldingen, reacties, verstuurde mails, bestanden), als JSON-bestand voor een inzageverzoek.': 'Everything the city holds about a reporter (reports, reactions, mails sent, files), as a JSON file for a data access request.',
    'E-mailadres van de melder': "Reporter's email address",
    'Downloaden': 'Download',
    'Anonimiseren': 'Anonymise',
    'Persoonsgegevens van melders worden {months} maanden na het afsluiten van hun laatste melding geanonimiseerd (dagelijks).': "Reporters' personal data is anonymised {months} months after their last report was closed (daily).",
    'Nu anonimiseren': 'Anonymise now',
    'Melders': 'Reporters',
    'Dossiers': 'Cases',
    'Teksten': 'Texts',
    'Bestanden': 'Files',
    'Uitgesteld (mail wacht nog)': 'Deferred (a mail is still waiting)',
    'Conflicten (volgende keer opnieuw)': 'Conflicts (retried next time)',
    'Geef het e-mailadres van de melder op.': "Enter the reporter's email address.",
    'Geen melder gevonden met e-mailadres {email}.': 'No reporter found with email address {email}.',
    'Anonimisering uitgevoerd.': 'Anonymisation done.',
    # the public report form (/melden)
    'Een probleem melden': 'Report a problem',
    'Een kapotte straatlamp, een sluikstort, een losse tegel in het voetpad? Meld het hier aan de stad.': 'A broken street light, illegally dumped waste, a loose tile in the pavement? Report it to the city here.',
    'Waarover gaat uw melding? Beschrijf het in een paar woorden.': 'What is your report about? Describe it in a few words.',
    'bijvoorbeeld: lamp kapot': 'for example: lamp broken',
    'Kies de categorie die het best past': 'Choose the category that fits best',
    'We vonden geen categorie voor "{query}".': 'We found no category for "{query}".',
    'Ik vind mijn categorie niet': 'I cannot find my category',
    'De meldkamer kiest dan de juiste dienst.': 'The dispatch desk will then choose the right department.',
    'Verder': 'Continue',
    'Alle categorieën bekijken': 'View all categories',
    'Deze categorie bestaat niet (meer). Kies een andere categorie.': 'This category does not exist (any more). Choose another category.',
    'Uw melding': 'Your report',
    'andere categorie kiezen': 'choose another category',
    'Uw melding is nog niet verstuurd. Verbeter wat hieronder in het rood staat.': 'Your report has not been sent yet. Correct what is shown in red below.',
    "Uw foto's werden nog niet bewaard: kies ze opnieuw.": 'Your photos have not been saved yet: choose them again.',
    'Waar is het?': 'Where is it?',
    'Adres of plaats': 'Address or place',
    'bijvoorbeeld: Bruul 12, Mechelen': 'for example: Bruul 12, Mechelen',
    'Straat en huisnummer, of een plaats die we kunnen vinden (een kruispunt, een park).': 'Street and house number, or a place we can find (a crossroads, a park).',
    'Coördinaten opgeven (niet verplicht)': 'Give coordinates (optional)',
    'Breedtegraad': 'Latitude',
    'Lengtegraad': 'Longitude',
    'Met coördinaten mag het adres leeg blijven.': 'With coordinates, the address may stay empty.',
    'Wat is het probleem?': 'What is the problem?',
    'Beschrijving': 'Description',
    'Minstens {min} en maximaal {max} tekens.': 'At least {min} and at most {max} characters.',
    'Hoe kunnen we u bereiken?': 'How can we reach you?',
    'Geef minstens een e-mailadres of een telefoonnummer. Mails over de status van uw melding versturen we per e-mail: geef dus bij voorkeur uw e-mailadres.': 'Give at least an email address or a phone number. We send updates on the status of your report by email, so preferably give your email address.',
    'E-mailadres (aangeraden)': 'Email address (recommended)',
    'Telefoonnummer (niet verplicht)': 'Phone number (optional)',
    'Naam (niet verplicht)': 'Name (optional)',
    'De stad gebruikt uw gegevens alleen om deze melding op te volgen.': 'The city only uses your details to follow up this report.',
    'Melding versturen': 'Send report',
    'Geef een getal, bijvoorbeeld {example}.': 'Give a number, for example {example}.',
    'De {label} ligt tussen -{limit} en {limit}.': 'The {label} lies between -{limit} and {limit}.',
    'Het adres is te lang (maximaal {count} tekens).': 'The address is too long (at most {count} characters).',
    'Geef breedtegraad en lengtegraad allebei, of laat ze allebei leeg.': 'Give both latitude and longitude, or leave both empty.',
    'Vul het adres of de plaats in waar het probleem is.': 'Fill in the address or place where the problem is.',
    'Beschrijf het probleem in minstens {count} tekens.': 'Describe the problem in at least {count} characters.',
    'Beschrijf het probleem.': 'Describe the problem.',
    'Uw beschrijving is te lang: {count} tekens, maximaal {max} tekens.': 'Your description is too long: {count} characters, at most {max}.',
    'Dit e-mailadres klopt niet. Controleer het, bijvoorbeeld naam@voorbeeld.be.': 'This email address is not correct. Check it, for example name@example.be.',
    'Dit e-mailadres is te lang.': 'This email address is too long.',
    'Dit telefoonnummer klopt niet. Gebruik alleen cijfers, spaties en +, bijvoorbeeld 015 12 34 56.': 'This phone number is not correct. Use only digits, spaces and +, for example 015 12 34 56.',
    'Uw naam is te lang (maximaal {count} tekens).': 'Your name is too long (at most {count} characters).',
    'Geef een e-mailadres of een telefoonnummer, zodat we u kunnen bereiken. Met een e-mailadres krijgt u ook mails over de status.': 'Give an email address or a phone number so that we can reach you. With an email address you also get updates on the status by email.',
    'Uw melding kon niet verwerkt worden. Controleer uw gegevens en probeer opnieuw.': 'Your report could not be processed. Check your details and try again.',
    'Uw melding werd niet verstuurd. Vul het formulier opnieuw in.': 'Your report was not sent. Fill in the form again.',
    'Bedankt voor uw melding': 'Thank you for your report',
    'Uw melding is goed ontvangen. Het referentienummer is:': 'Your report has been received. The reference number is:',
    "Meegestuurde foto's: {count}": 'Photos sent: {count}',
    'U krijgt een bevestiging per e-mail, en opnieuw een e-mail wanneer uw melding in behandeling is en wanneer ze afgesloten is.': 'You will get a confirmation by email, and another email when your report is being handled and when it is closed.',
    'U gaf geen e-mailadres: u krijgt dus geen mails over de status. Bewaar de link hieronder om uw melding te volgen.': 'You gave no email address, so you will not get status emails. Keep the link below to follow your report.',
    'Uw melding volgen': 'Follow your report',
    'Via deze link ziet u op elk moment hoe ver uw melding staat:': 'With this link you can see at any time how far along your report is:',
    'Nog een probleem melden': 'Report another problem',
    'Te veel meldingen': 'Too many reports',
    'Vanaf deze verbinding werden de voorbije minuten al {count} meldingen verstuurd. Dat is het maximum.': '{count} reports have already been sent from this connection in the last few minutes. That is the maximum.',
    'Uw melding werd niet verstuurd. Probeer het opnieuw over {minutes} minuten.': 'Your report was not sent. Please try again in {minutes} minutes.',
}


def _merge_area_translations() -> None:
    """Add the `EN` tables of the modules in web/translations (one per area of the UI)."""
    import importlib
    import pkgutil

    from . import translations

    for module in pkgutil.iter_modules(translations.__path__):
        EN.update(importlib.import_module(f"{translations.__name__}.{module.name}").EN)


_merge_area_translations()


def current_language() -> str:
    """The user's language, else the `lang` cookie, else Dutch."""
    if "lang" in g:
        return g.lang
    lang = None
    if current_user and getattr(current_user, "is_authenticated", False):
        lang = current_user.language
    lang = request.cookies.get("lang") or lang
    g.lang = lang if lang in LANGUAGES else "nl"
    return g.lang


def translate(text: str, **values) -> str:
    """Translate a Dutch UI string into the current language and fill `{name}` values."""
    out = EN.get(text, text) if current_language() == "en" else text
    return out.format(**values) if values else out
