"""The tracking page names what the citizen sent: a melding, a question by e-mail, a letter (Dutch and English)."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from engine.db import db
from engine.models import Case
from intake.demo_inbox import scan_pdf
from intake.mail_intake import take_in
from intake.post_intake import check_registration, local_today, register_post
from notifications.outbox import tracking_url

from .test_english_ui import Visitor

MAIL = (b"From: Els Vraagsteller <els@voorbeeld.example>\r\nTo: info@stad.example\r\n"
        b"Subject: Openingsuren containerpark\r\nMessage-ID: <kinds-1@voorbeeld.example>\r\n"
        b"Date: Tue, 01 Dec 2026 09:00:00 +0100\r\n\r\nWanneer is het containerpark open?\r\n")


def _titles(app, case: Case, lang: str | None = None) -> tuple[str, str]:
    html = Visitor(app, lang).get(urlsplit(tracking_url(case)).path).get_data(as_text=True)
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1), re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)


def _letter() -> Case:
    values = {"sender_name": "Marc De Smet", "sender_address": "Nekkerspoel 1\n2800 Mechelen",
              "received_on": local_today().isoformat(), "written_on": (local_today() - timedelta(days=2)).isoformat(),
              "subject": "Vraag om een zitbank", "kind": "vraag", "group": "onderhoud-openbaar-domein"}
    return register_post(check_registration(values, scan_pdf(["Geachte,"]), "scan.pdf"), actor="test", user_id=None)


def test_each_kind_of_case_has_its_own_title_in_dutch_and_english(app, staff):
    melding = db.session.scalar(db.select(Case).where(Case.reference == staff.meldkamer.file_melding()["reference"]))
    mail = db.session.scalar(db.select(Case).where(Case.reference == take_in(MAIL).reference))
    letter = _letter()
    expected = {melding: ("Melding {}", "Report {}"),
                mail: ("Uw vraag per e-mail ({})", "Your question by e-mail ({})"),
                letter: ("Uw brief ({})", "Your letter ({})")}
    for case, (dutch, english) in expected.items():
        title, heading = _titles(app, case)
        assert heading == dutch.format(case.reference) and title.startswith(heading), (case.kind, title, heading)
        title, heading = _titles(app, case, "en")
        assert heading == english.format(case.reference) and title.startswith(heading), (case.kind, title, heading)
    assert "Melding" not in _titles(app, mail)[0] + _titles(app, letter)[0]
