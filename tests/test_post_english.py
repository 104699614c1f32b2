"""The incoming-post pages in English: registration (also with errors) and the case page in every state."""
from __future__ import annotations

import io

from sqlalchemy import select

from engine.db import db
from handlers.post_models import PostLetter, PostReply

from .helpers import Browser
from .test_english_ui import assert_english, domain_strings
from .test_post_support import form, postkamer_user, register


def letter_strings() -> list[str]:
    """What the letters say (sender, address, subject, texts): data, not interface."""
    found: list[str] = []
    for letter in db.session.scalars(select(PostLetter)):
        found += [letter.sender_name, letter.sender_address.replace("\n", ", "), letter.subject,
                  letter.registered_by, *letter.sender_address.splitlines()]
    for reply in db.session.scalars(select(PostReply)):
        found += [reply.text, reply.author, reply.file.filename]
        found += [line for line in reply.text.splitlines() if line.strip()]
    return found


def test_post_pages_are_english(app, staff):
    user, password = postkamer_user()
    eva = Browser(app, user.username, password)
    assert eva.post("/werk/taal/en", page="/werk/post/nieuw").status_code == 302

    answering = register().reference
    ready = register().reference
    staff.ood.complete(ready, "answer", {"action": "letter", "answer_text": "Beste,\n\nDe lamp is hersteld."})
    rerouting = register().reference
    staff.ood.complete(rerouting, "answer", {"action": "reroute", "reroute_reason": "Hoort bij netheid."})
    closed = register(kind="ter_info").reference

    domain = domain_strings() + letter_strings()
    html = assert_english(eva.get("/werk/post/nieuw"), domain, "registration")
    assert "Register and pass on" in html and "Kind of letter" in html and "Default deadlines" in html
    response = eva.post("/werk/post/nieuw", data={**form(sender_name=""), "scan": (io.BytesIO(b"geen pdf"), "x.pdf")})
    html = assert_english(response, domain + ["x.pdf"], "registration with errors")
    assert "Fill in the sender&#39;s name." in html and "This file is not a PDF." in html
    assert "Choose the scan again" in html

    for ref in (answering, ready, rerouting, closed):
        assert_english(eva.get(f"/werk/dossier/{ref}"), domain, ref)
    page = eva.get(f"/werk/dossier/{rerouting}").get_data(as_text=True)
    assert "New handler group" in page and "Incoming letter" in page
