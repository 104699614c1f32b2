"""The reporting role (rapportage) reads figures, not people: it downloads no case file of any kind and sees no
reporter data on any page or API answer it can reach. Every other role keeps the access it had.

One scenario: a melding from the public form (photo of the citizen, of the contractor, a staff file), an infomail
taken in from a real mail (attachment and the original .eml) and a registered letter (scan and reply letter), all
from "Jan Janssens", who also typed his phone number and e-mail address into his texts.
"""
from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseFile
from handlers.files import store_file
from handlers.groups import group_by_key
from handlers.letters import replies_of
from handlers.models import User
from intake.mail_intake import take_in
from reports.periods import local_today, quarter_of

from .helpers import Browser, with_password
from .images import png
from .test_post_support import register
from .test_public_form import VALID, post

NAME, EMAIL, PHONE = "Jan Janssens", "jan.janssens@voorbeeld.example", "0470 11 22 33"
TYPED = f"De lamp aan mijn deur brandt niet. Groeten, {NAME}, bel {PHONE} of mail {EMAIL}"
INFO = "info@stad.example"
# Everything that identifies the reporter, in any form a page could show it.
PERSONAL = [NAME, "Janssens", EMAIL, "jan.janssens", PHONE, "0470112233", "Bruul 12 bus 3", "jan-janssens"]

OWN = "onderhoud-openbaar-domein"
PERSONAS = {  # persona -> (username, role, group)
    "admin": ("root", "admin", None), "meldkamer": ("an", "meldkamer", None),
    "onthaal": ("olga", "onthaal", "onthaal"), "behandelaar-eigen": ("bart", "behandelaar", OWN),
    "groepsverantwoordelijke-eigen": ("chris", "groepsverantwoordelijke", OWN),
    "behandelaar-ander": ("dina", "behandelaar", "openbare-netheid"), "rapportage": ("rita", "rapportage", None),
}
OK, NO = 200, 403
SEES_GROUP_CASE = {"admin": OK, "meldkamer": OK, "onthaal": OK, "behandelaar-eigen": OK,
                   "groepsverantwoordelijke-eigen": OK, "behandelaar-ander": NO, "rapportage": NO}
SEES_DESK_CASE = {**SEES_GROUP_CASE, "behandelaar-eigen": NO, "groepsverantwoordelijke-eigen": NO}
# file kind -> (case, the download each persona gets). Rapportage: 403 on every kind; the others as before.
FILE_KINDS = {
    "foto van de melder (formulier)": ("melding", SEES_GROUP_CASE),
    "foto van de aannemer": ("melding", SEES_GROUP_CASE),
    "bestand van een medewerker": ("melding", SEES_GROUP_CASE),
    "bijlage van een mail": ("mail", SEES_DESK_CASE),
    "origineel bericht (.eml)": ("mail", SEES_DESK_CASE),
    "scan van een brief": ("post", SEES_GROUP_CASE),
    "antwoordbrief (.docx)": ("post", SEES_GROUP_CASE),
}


def citizen_mail() -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = f"{NAME} <{EMAIL}>", INFO, f"Vraag van {NAME}"
    mail["Message-ID"], mail["Date"] = "<vraag-1@voorbeeld.example>", format_datetime(utcnow())
    mail.set_content(TYPED)
    mail.add_attachment(png(), maintype="image", subtype="png", filename="jan-janssens-tuin.png")
    return mail.as_bytes()


@pytest.fixture
def world(app, client, staff):
    """The three cases with a file of every kind; a logged-in browser and an API token per persona."""
    app.config["MELDPUNT_INFO_ADDRESS"] = INFO
    assert post(client, {**VALID, "description": TYPED, "name": NAME, "email": EMAIL, "phone": PHONE},
                photos=[(png(), "jan-janssens-straat.png")]).status_code == 303
    melding = db.session.scalar(select(Case).where(Case.kind == "melding"))
    staff.meldkamer.complete(melding.reference, "triage", {"decision": "dispatch"})
    melding = db.session.get(Case, melding.id)
    store_file(melding, png(color=(1, 2, 3)), "na-herstelling.png", source="aannemer", uploaded_by="Aannemer")
    store_file(melding, b"%PDF-1.4\n%%EOF\n", "nota-jan-janssens.pdf", source="medewerker", uploaded_by="Bart",
               allowed=("application/pdf",))
    db.session.commit()
    take_in(citizen_mail())
    mail = db.session.scalar(select(Case).where(Case.kind == "mail"))
    letter = register(sender_name=NAME, sender_address="Bruul 12 bus 3\n2800 Mechelen", sender_email=EMAIL,
                      subject=f"Brief van {NAME} over de verlichting")
    staff.ood.complete(letter.reference, "answer", {"action": "letter", "answer_text": "Beste, de lamp is hersteld."})

    files = {c.kind: {f.source: f for f in db.session.scalars(select(CaseFile).where(CaseFile.case_id == c.id))}
             for c in (melding, mail, letter)}
    eml = db.session.scalar(select(CaseFile).where(CaseFile.case_id == mail.id, CaseFile.filename.like("%.eml")))
    attachment = db.session.scalar(select(CaseFile).where(CaseFile.case_id == mail.id,
                                                          CaseFile.filename == "jan-janssens-tuin.png"))
    reply = replies_of(letter.id)[0].file
    scan = db.session.scalar(select(CaseFile).where(CaseFile.case_id == letter.id, CaseFile.source == "post"))
    urls = {
        "foto van de melder (formulier)": files["melding"]["melder"],
        "foto van de aannemer": files["melding"]["aannemer"],
        "bestand van een medewerker": files["melding"]["medewerker"], "bijlage van een mail": attachment,
        "origineel bericht (.eml)": eml, "scan van een brief": scan, "antwoordbrief (.docx)": reply}
    references = {"melding": melding.reference, "mail": mail.reference, "post": letter.reference}
    file_urls = {kind: f"/werk/dossier/{references[FILE_KINDS[kind][0]]}/bestand/{stored.id}"
                 for kind, stored in urls.items()}

    users = {"admin": staff.admin.user, "meldkamer": staff.meldkamer.user, "behandelaar-eigen": staff.ood.user,
             "groepsverantwoordelijke-eigen": staff.ood_lead.user, "behandelaar-ander": staff.netheid.user}
    tokens = {"admin": staff.admin.token, "meldkamer": staff.meldkamer.token, "behandelaar-eigen": staff.ood.token,
              "groepsverantwoordelijke-eigen": staff.ood_lead.token, "behandelaar-ander": staff.netheid.token}
    for persona in ("onthaal", "rapportage"):
        username, role, group = PERSONAS[persona]
        user = User(username=username, display_name=username.title(), role=role, email=f"{username}@stad.example")
        if group:
            user.groups.append(group_by_key(group))
        db.session.add(user)
        tokens[persona] = user.issue_api_token()
        users[persona] = user
    db.session.commit()
    for persona, user in users.items():
        assert (user.username, user.role) == PERSONAS[persona][:2]
        with_password(user)
    db.session.rollback()
    return {"references": references, "file_urls": file_urls, "tokens": tokens}


def login(app, persona: str) -> Browser:
    return Browser(app, PERSONAS[persona][0], "correct-horse-battery")


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_file_downloads_by_kind_and_role(app, world, persona):
    """The table: every kind of case file x every role. Rapportage gets none; the others what they had."""
    browser = login(app, persona)
    failures = []
    for kind, (_case, expected) in FILE_KINDS.items():
        url = world["file_urls"][kind]
        response = browser.get(url)
        response.get_data()
        if response.status_code != expected[persona]:
            failures.append(f"{persona}: {kind} ({url}): expected {expected[persona]}, got {response.status_code}")
    assert not failures, "\n".join(failures)


def _texts_of_office_file(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return " ".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
                        if name.endswith(".xml"))


def test_rapportage_sees_no_reporter_data_anywhere_it_can_go(app, world):
    rita = login(app, "rapportage")
    refs = world["references"]
    quarter = quarter_of(local_today(utcnow()))
    pages = {"/werk/": None, "/werk/rapporten": None, "/werk/rapporten/dossiers.csv": None,
             f"/werk/rapporten/kwartaalrapport?kwartaal={quarter}": "office",
             "/werk/rapporten/cijfers.csv": None, "/werk/rapporten/dossiers.xlsx": "office",
             "/werk/rapporten/cijfers.xlsx": "office", **{f"/werk/dossier/{r}": None for r in refs.values()},
             **{f"/werk/wachtrij/{key}{view}": None for key in (OWN, "meldkamer", "onthaal")
                for view in ("", "?weergave=kaart", "/kaart.json")}}  # the list, its map view and the map's points
    failures = []
    for url, kind in pages.items():
        response = rita.get(url)
        if response.status_code != 200:
            failures.append(f"rapportage: GET {url}: {response.status_code}")
            continue
        text = _texts_of_office_file(response.get_data()) if kind else response.get_data(as_text=True)
        failures += [f"rapportage: GET {url} shows {value!r}" for value in PERSONAL if value in text]
    search = rita.get(f"/werk/wachtrij/{OWN}?q=Janssens").get_data(as_text=True)  # the typed word comes back
    if refs["post"] in search or refs["melding"] in search or EMAIL in search or PHONE in search:
        failures.append("rapportage: searching the queue for the reporter's name finds their cases")
    page = rita.get(f"/werk/dossier/{refs['melding']}").get_data(as_text=True)
    if "niet zichtbaar voor je rol" not in page or "Straatlamp kapot" not in page:
        failures.append("rapportage: the case page does not show the facts with the reporter's text hidden")
    if "/bestand/" in page:
        failures.append("rapportage: the case page links to case files")
    for reference in refs.values():
        with app.app_context():
            response = app.test_client().get(f"/api/v1/cases/{reference}",
                                             headers={"Authorization": f"Bearer {world['tokens']['rapportage']}"})
        text = response.get_data(as_text=True)
        if response.status_code != 200:
            failures.append(f"rapportage: API GET /api/v1/cases/{reference}: {response.status_code}")
        failures += [f"rapportage: API GET /api/v1/cases/{reference} shows {value!r}" for value in PERSONAL
                     if value in text]
    assert not failures, "\n".join(failures)


def test_other_roles_still_see_the_reporters_text_and_files(app, world):
    refs = world["references"]
    bart = login(app, "behandelaar-eigen")
    page = bart.get(f"/werk/dossier/{refs['melding']}").get_data(as_text=True)
    assert TYPED in page and "jan-janssens-straat.png" in page
    olga = login(app, "onthaal")
    page = olga.get(f"/werk/dossier/{refs['mail']}").get_data(as_text=True)
    assert EMAIL in page and "jan-janssens-tuin.png" in page
