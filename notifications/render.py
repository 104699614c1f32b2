"""Rendering an outbox row into a mail: subject, plain text and HTML, from Jinja templates.

Templates live in `notifications/templates/<language>/<template>.txt` and `.html`. The text template's
first line is `Subject: ...` (its layout puts it there), so a mail's wording stays in one place per
language. HTML is autoescaped; the text part is not (it is never interpreted as markup). A template that
does not exist, or data a template needs but the row lacks, is an error naming the template: the sender
marks the row failed instead of sending a blank or half-filled mail.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask import has_app_context
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from markupsafe import Markup, escape

from engine.settings import settings

TEMPLATE_DIR = Path(__file__).with_name("templates")
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"  # Dutch is the source language: an unknown language gets the Dutch mail
CITY_TZ = ZoneInfo("Europe/Brussels")

# Every template the project queues (notify.reporter in bpmn/melding.bpmn, queue_mail in handlers/),
# each of which must exist in every language; the tests render them all.
TEMPLATES = ("ontvangen", "in_behandeling", "informatie_gevraagd", "afgesloten", "doorverwezen", "duplicaat",
             "gesloten_gehouden", "heropend", "escalatie", "aannemer_opdracht", "aannemer_herinnering",
             "aannemer_escalatie", "overdracht", "ontvangstbevestiging_mail", "antwoord_mail", "escalatie_mail",
             "ontvangstbevestiging_post", "post_escalatie", "post_ter_info", "nieuwe_mail", "melder_niet_tevreden",
             "antwoord_ontvangen")

# Keys some templates use when present. Anything else a template names (`reference`, `portal_url`)
# is required: StrictUndefined makes its absence an error instead of an empty spot in the mail.
OPTIONAL_KEYS = ("name", "tracking_url", "public_text", "feedback_yes_url", "feedback_no_url", "instructions",
                 "contractor", "order_id", "group", "deadline", "from_group", "note", "by", "merged", "thanks",
                 "answer", "result", "assigned")

# Where a staff member opens the case (web/staff: /werk/dossier/<reference>); built here because
# notifications does not import web.
STAFF_CASE_PATH = "/werk/dossier/"


class MailTemplateError(Exception):
    """A mail cannot be rendered; the message names the template and language."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    language: str


def _local_datetime(value: Any) -> str:
    """An ISO timestamp (as stored in case data) as the city's local date and time, dd/mm/yyyy HH:MM."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CITY_TZ)
        return value.strftime("%d/%m/%Y %H:%M")
    return str(value)


def _lines(value: Any) -> Markup:
    """Multi-line text (a public text, a question) for HTML: escaped, its line breaks kept."""
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_env.filters.update(datetime=_local_datetime, lines=_lines)


def _context(data: Mapping[str, Any], language: str, recipient_kind: str) -> dict[str, Any]:
    context: dict[str, Any] = dict.fromkeys(OPTIONAL_KEYS)
    context.update({"city": settings().city_name, "case_url": None})
    context.update(data)
    base = settings().base_url if has_app_context() else None  # no staff link from outside an app
    if recipient_kind == "medewerker" and base and data.get("reference") and not data.get("case_url"):
        context["case_url"] = f"{base.rstrip('/')}{STAFF_CASE_PATH}{data['reference']}"
    context.update({"language": language, "recipient_kind": recipient_kind})
    return context


def _split_subject(template: str, language: str, rendered: str) -> tuple[str, str]:
    first, _, body = rendered.partition("\n")
    if not first.startswith("Subject:"):
        raise MailTemplateError(f"mail template '{language}/{template}.txt' does not start with 'Subject:'")
    subject = " ".join(first[len("Subject:"):].split())  # one line: no header folding or injection
    if not subject:
        raise MailTemplateError(f"mail template '{language}/{template}.txt' renders an empty subject")
    body = re.sub(r"[ \t]+\n", "\n", body)  # the layouts may leave blank runs and trailing spaces
    body = re.sub(r"\n{3,}", "\n\n", body)
    return subject, body.strip("\n") + "\n"


def render_mail(template: str, data: Mapping[str, Any], language: Optional[str] = DEFAULT_LANGUAGE,
                recipient_kind: str = "melder") -> RenderedMail:
    """Render `template` with `data` in `language` (Dutch for an unknown language)."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    if not template or "/" in template or template.startswith(("_", ".")):
        raise MailTemplateError(f"no mail template named {template!r}")
    context = _context(data, language, recipient_kind)
    try:
        text = _env.get_template(f"{language}/{template}.txt").render(context)
        subject, text = _split_subject(template, language, text)
        html = _env.get_template(f"{language}/{template}.html").render(context, subject=subject)
    except TemplateNotFound as err:
        raise MailTemplateError(f"no mail template '{template}' in language '{language}' ({err.name})") from err
    except TemplateError as err:
        raise MailTemplateError(f"mail template '{language}/{template}' cannot be rendered: {err}") from err
    return RenderedMail(subject=subject, text=text, html=html, language=language)


def render_row(row: Any) -> RenderedMail:
    """Render an outbox row (anything with template, data, language and recipient_kind)."""
    return render_mail(row.template, row.data or {}, row.language, row.recipient_kind or "melder")
