"""English for the reports dashboard (web/staff/dashboard.py, templates/staff/dashboard.html)."""
from reports.tables import LABELS_EN

EN = {
    **LABELS_EN,
    "Rapporten": "Reports", "Van": "From", "Tot en met": "Up to and including", "Alle groepen": "All groups",
    "Toon": "Show", "Snel kiezen:": "Quick choice:", "dit kwartaal": "this quarter", "vorig kwartaal": "last quarter",
    "laatste 14 dagen": "last 14 days", "Vergeleken met {period}.": "Compared with {period}.",
    "Kerncijfers": "Key figures", "Cijfer": "Figure", "Deze periode": "This period",
    "De periode ervoor": "The period before", "Verschil": "Change",
    "Binnengekomen dossiers per week": "Cases received per week",
    "Soort dossier": "Kind of case", "Dossiers": "Cases",
    "Meldingen per categorie": "Reports per category",
    "Alleen meldingen hebben een categorie: e-mails en brieven tellen hier niet mee, de aandelen zijn delen van "
    "de meldingen.": "Only reports have a category: e-mails and letters are not counted here, the shares are shares "
    "of the reports.",
    "Meldingen per hoofdcategorie": "Reports per main category",
    "Per behandelaarsgroep": "Per handler group", "Meldingen": "Reports", "Aandeel": "Share",
    "Afgesloten": "Closed", "Doorlooptijd (mediaan, dagen)": "Time to close (median, days)",
    "Doorlooptijd tot afsluiten per groep": "Time to close per group", "Per kanaal": "Per channel",
    "Kanaal": "Channel", "Hoofdcategorie": "Main category",
    "Subcategorie": "Sub category",
    "Exporteren": "Export",
    "Dossiers van deze periode (zonder persoonsgegevens van melders):":
    "Cases of this period (without personal data of reporters):",
    "De cijfers van deze pagina:": "The figures on this page:",
    "Rapport van deze periode nu mailen aan {who}": "Mail the report of this period to {who} now",
    "de meldkamer": "the dispatch desk", "Kwartaalrapport": "Quarterly report", "Kwartaal": "Quarter",
    "Word-document downloaden": "Download the Word document",
    "De {field} '{value}' klopt niet. Gebruik de vorm jjjj-mm-dd, bijvoorbeeld 2026-11-30.":
    "The {field} '{value}' is not correct. Use the form yyyy-mm-dd, for example 2026-11-30.",
    "begindatum": "start date", "einddatum": "end date",
    "De begindatum ({start}) ligt na de einddatum ({end}).": "The start date ({start}) is after the end date ({end}).",
    "Kies een periode van hoogstens drie jaar.": "Choose a period of at most three years.",
    "Onbekende keuze '{value}' voor de periode.": "Unknown choice '{value}' for the period.",
    "Onbekende behandelaarsgroep '{value}'.": "Unknown handler group '{value}'.",
    "'{value}' is geen kwartaal: gebruik de vorm 2026Q3.": "'{value}' is not a quarter: use the form 2026Q3.",
    "Dit rapport werd al verstuurd op {date}.": "This report was already sent on {date}.",
    "Niet verstuurd: niemand om het rapport naar te sturen.": "Not sent: nobody to send the report to.",
    "Rapport klaargezet voor {count} ontvanger(s).": "Report queued for {count} recipient(s).",
}
