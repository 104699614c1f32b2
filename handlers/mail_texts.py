"""Saving and reverting the city's mail texts (/werk/beheer/mailteksten), each an audited new version.

What a text may contain and how it is rendered: notifications/mail_texts.py (sandbox, placeholders).
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase
from engine.models import Case
from notifications.mail_texts import LANGUAGES, MAIL_TEXTS, MailTextVersion, TextProblem, check_text, current_version
from notifications.models import OutboxMessage
from notifications.outbox import tracking_url

from .admin_changes import record_change
from .feedback_links import feedback_url, make_token


def problem_phrase(problem: TextProblem) -> Phrase:
    """A problem as a Dutch sentence with its line: 'regel 3: syntaxfout: ...' (translated where shown)."""
    return Phrase(N_("regel {line}: {reason}"), line=problem.line, reason=Phrase(problem.reason,
                                                                                 **dict(problem.values)))


def check_mail(template: str, language: str) -> None:
    if template not in MAIL_TEXTS:
        raise InvalidInput("onbekende mail", {"template": N_("Deze mail bestaat niet.")})
    if language not in LANGUAGES:
        raise InvalidInput("onbekende taal", {"language": N_("Kies Nederlands (nl) of Engels (en).")})


def validate_texts(template: str, subject: str, text: str, html: str) -> dict[str, list[Phrase]]:
    """Per part (subject, text, html) every problem, with its line; empty when all three can be used."""
    check_mail(template, "nl")
    problems: dict[str, list[Phrase]] = {}
    for part, source in (("subject", subject), ("text", text), ("html", html)):
        found = check_text(template, part, source)
        if found:
            problems[part] = [problem_phrase(p) for p in found]
    return problems


def _snapshot(version: Optional[MailTextVersion]) -> Optional[dict[str, Any]]:
    if version is None:
        return None
    return {"version": version.id, "subject": version.subject, "text": version.text, "html": version.html}


def save_text(template: str, language: str, *, subject: str, text: str, html: str, actor: str,
              user_id: Optional[int]) -> MailTextVersion:
    """Store a new version of a mail's text in one language (InvalidInput with every problem per part)."""
    check_mail(template, language)
    subject, text, html = subject.strip(), text.replace("\r\n", "\n"), html.replace("\r\n", "\n")
    problems = validate_texts(template, subject, text, html)
    if problems:
        raise InvalidInput("mailtekst geweigerd", problems)
    old = current_version(template, language)
    version = MailTextVersion(template=template, language=language, shipped=False, subject=subject, text=text,
                              html=html, actor=actor, user_id=user_id)
    db.session.add(version)
    db.session.flush()
    record_change("mail_text", "update", f"{template} ({language})", actor=actor, user_id=user_id,
                  detail=f"Nieuwe tekst voor mail '{template}' ({language}), versie {version.id}",
                  data={"template": template, "language": language, "old": _snapshot(old),
                        "new": _snapshot(version)})
    return version


def revert_text(template: str, language: str, *, actor: str, user_id: Optional[int]) -> Optional[MailTextVersion]:
    """"Terug naar standaard": a version that says the shipped template is used again (None if it already is)."""
    check_mail(template, language)
    old = current_version(template, language)
    if old is None:
        return None
    version = MailTextVersion(template=template, language=language, shipped=True, actor=actor, user_id=user_id)
    db.session.add(version)
    db.session.flush()
    record_change("mail_text", "revert", f"{template} ({language})", actor=actor, user_id=user_id,
                  detail=f"Mail '{template}' ({language}) terug naar de standaardtekst",
                  data={"template": template, "language": language, "old": _snapshot(old), "new": None,
                        "version": version.id})
    return version


def find_case(reference: str) -> Optional[Case]:
    return db.session.scalars(select(Case).where(Case.reference == reference.strip().upper())).first()


def preview_data(case: Case, template: str, language: str) -> tuple[dict[str, Any], list[str]]:
    """The data the mail `template` has (or would have) for `case`, and the placeholders filled with an example.

    The case's last real mail of this kind (its outbox row) gives exactly what was sent; otherwise the data is
    built as the processes build it (handlers/status_mails.py: tracking link, the reporter's name, feedback
    links), and what only exists at the moment of sending (a note, an order) is an example value.
    """
    info = MAIL_TEXTS[template]
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                         OutboxMessage.template == template)
                             .order_by(OutboxMessage.id.desc()).limit(1)).first()
    if row is not None:
        data = dict(row.data or {})
        return data, [k for k in info.placeholders if k not in data and k not in _ALWAYS]
    data = {"reference": case.reference}
    if info.recipient_kind == "melder" and "tracking_url" in info.placeholders:
        data["tracking_url"] = tracking_url(case, language)
    if case.reporter is not None and "name" in info.placeholders:
        data["name"] = case.reporter.name
    if template == "afgesloten":
        token = make_token(case)
        data["feedback_yes_url"] = feedback_url(token, True, language)
        data["feedback_no_url"] = feedback_url(token, False, language)
    if "group" in info.placeholders and case.group is not None:
        data["group"] = case.group.name
    examples = [k for k in info.placeholders if k not in data and k not in _ALWAYS]
    for key in examples:
        data[key] = f"[{key}]"
    return data, examples


_ALWAYS = ("city", "language", "case_url", "merged", "follower", "name")
