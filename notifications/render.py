"""Rendering an outbox row into a mail: subject, plain text and HTML, from Jinja templates.

Templates live in `notifications/templates/<template>.txt` and `.html`, one of each per mail for every
language: their sentences are Dutch msgids (`_()`, `ngettext()`, `pgettext()`), looked up in the recipient's
language in the gettext catalogues (notifications/i18n.py). The text template's first line is
`Subject: ...` (its layout puts it there). HTML is autoescaped, the values put into a translated sentence
too; the text part is not (it is never interpreted as markup). A template that
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

from flask import current_app, has_app_context
from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from markupsafe import Markup, escape

from engine.settings import settings

from .i18n import catalogue, local_datetime
from .mail_texts import MAIL_TEXTS, MailTextVersion, current_version, install_filters, render_edited, sandbox_errors

TEMPLATE_DIR = Path(__file__).with_name("templates")
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"  # Dutch is the source language: an unknown language gets the Dutch mail

# Every template the project queues (notify.reporter in bpmn/melding.bpmn, queue_mail in handlers/),
# each of which renders in every language; the tests render them all.
TEMPLATES = ("ontvangen", "in_behandeling", "informatie_gevraagd", "afgesloten", "doorverwezen", "duplicaat",
             "gesloten_gehouden", "heropend", "escalatie", "aannemer_opdracht", "aannemer_herinnering",
             "aannemer_escalatie", "overdracht", "ontvangstbevestiging_mail", "antwoord_mail", "escalatie_mail",
             "ontvangstbevestiging_post", "post_escalatie", "post_ter_info", "nieuwe_mail", "melder_niet_tevreden",
             "antwoord_ontvangen", "volgen_bevestiging")

# Keys some templates use when present. Anything else a template names (`reference`, `portal_url`)
# is required: StrictUndefined makes its absence an error instead of an empty spot in the mail.
OPTIONAL_KEYS = ("name", "tracking_url", "public_text", "feedback_yes_url", "feedback_no_url", "instructions",
                 "contractor", "order_id", "group", "deadline", "from_group", "note", "by", "merged", "thanks",
                 "answer", "result", "assigned", "follower")

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


@pass_context
def _local_datetime(context, value: Any) -> str:
    """An ISO timestamp (as stored in case data) as the city's local date and time, dd/mm/yyyy HH:MM."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return local_datetime(context.get("language"), value)
    return str(value)


def _fill(context, text: str, values: dict[str, Any]) -> str:
    """A translated sentence with its values; in HTML the values are escaped, the sentence is trusted."""
    if context.eval_ctx.autoescape:
        return Markup(text).format(**values) if values else Markup(text)
    return text.format(**values) if values else text


@pass_context
def _gettext(context, text: str, **values: Any) -> str:
    """`_('Dutch sentence {name}', name=...)` in the mail's language."""
    return _fill(context, catalogue(context.get("language")).ugettext(text), values)


@pass_context
def _ngettext(context, singular: str, plural: str, count: int, **values: Any) -> str:
    """`ngettext('{count} dag', '{count} dagen', n)`: the plural form of the mail's language."""
    return _fill(context, catalogue(context.get("language")).ungettext(singular, plural, count),
                 {"count": count, **values})


@pass_context
def _pgettext(context, msgctxt: str, text: str, **values: Any) -> str:
    """`pgettext('aannemer', 'Beste,')`: a sentence whose translation depends on where it stands."""
    return _fill(context, catalogue(context.get("language")).upgettext(msgctxt, text), values)


def _strong(value: Any) -> Markup:
    """A value shown in bold in the HTML part (a reference, a period)."""
    return Markup("<strong>{}</strong>").format(value)


def _lines(value: Any) -> Markup:
    """Multi-line text (a public text, a question) for HTML: escaped, its line breaks kept."""
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


# An edited text (notifications/mail_texts.py) replaces the subject and body blocks of the shipped template;
# everything else of the shipped mail (greeting, notices, tracking link, signature, footer) stays. The wrappers
# are named templates so that the HTML one is autoescaped like every .html mail (its eval context follows the
# name of the template rendering starts from).
_EDITED = {
    "_edited.txt": ("{% extends mail_template %}{% block subject %}{{ edited_subject }}{% endblock %}"
                    "{% block body %}{{ edited_body }}{% endblock %}"),
    "_edited.html": "{% extends mail_template %}{% block body %}{{ edited_body }}{% endblock %}",
}

_env = Environment(
    loader=ChoiceLoader([DictLoader(_EDITED), FileSystemLoader(str(TEMPLATE_DIR))]),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_env.filters.update(datetime=_local_datetime, lines=_lines, strong=_strong)
_env.globals.update({"_": _gettext, "ngettext": _ngettext, "pgettext": _pgettext})
install_filters(datetime=_local_datetime, lines=_lines, strong=_strong)


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
        raise MailTemplateError(f"mail template '{template}.txt' does not start with 'Subject:'")
    subject = " ".join(first[len("Subject:"):].split())  # one line: no header folding or injection
    if not subject:
        raise MailTemplateError(f"mail template '{template}.txt' renders an empty subject ({language})")
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
    edited = _edited(template, language)
    if edited is not None:
        return render_version(template, edited, context, language)
    try:
        text = _env.get_template(f"{template}.txt").render(context)
        subject, text = _split_subject(template, language, text)
        html = _env.get_template(f"{template}.html").render(context, subject=subject)
    except TemplateNotFound as err:
        raise MailTemplateError(f"no mail template '{template}' ({err.name})") from err
    except TemplateError as err:
        raise MailTemplateError(f"mail template '{template}' cannot be rendered in '{language}': {err}") from err
    return RenderedMail(subject=subject, text=text, html=html, language=language)


def _edited(template: str, language: str) -> Optional[MailTextVersion]:
    """The city's own text of this mail in this language, if any (needs the database: inside a Meldpunt app)."""
    if template not in MAIL_TEXTS or not has_app_context() or "sqlalchemy" not in current_app.extensions:
        return None
    return current_version(template, language)


def render_version(template: str, version: MailTextVersion, context: Mapping[str, Any],
                   language: str) -> RenderedMail:
    """Render an edited text (in the sandbox) inside the shipped layout of `template`."""
    try:
        subject, body_text, body_html = render_edited(version, context)
        subject = " ".join(subject.split())  # a value with a line break cannot spill into the body
        text = _env.get_template("_edited.txt").render(context, mail_template=f"{template}.txt",
                                                    edited_subject=subject, edited_body=body_text)
        subject, text = _split_subject(template, language, text)
        html = _env.get_template("_edited.html").render(context, mail_template=f"{template}.html", subject=subject,
                                                     edited_body=body_html)
    except sandbox_errors() as err:
        raise MailTemplateError(f"edited mail text '{template}' (version {version.id}) cannot be rendered in "
                                f"'{language}': {err}") from err
    return RenderedMail(subject=subject, text=text, html=html, language=language)


def preview_mail(template: str, data: Mapping[str, Any], language: str, recipient_kind: str,
                 version: Optional[MailTextVersion] = None) -> RenderedMail:
    """A mail as it would be sent with `data`: with `version` (possibly unsaved), else as it is in use now."""
    if version is None:
        return render_mail(template, data, language, recipient_kind)
    return render_version(template, version, _context(data, language, recipient_kind), language)


_MARK = "\ue000{}\ue001"


class _CountMark(int):
    """A count placeholder (`attachments`): a number for the plural rules, a marker when written out."""

    def __str__(self) -> str:
        return _MARK.format("attachments")

    def __format__(self, spec: str) -> str:
        return str(self)


def shipped_texts(template: str, language: str) -> dict[str, str]:
    """The shipped subject, text and HTML body of a mail in `language`, as a starting point to edit.

    The shipped blocks are rendered with every placeholder set to a marker that becomes `{{ name }}` again;
    conditions in the shipped template are taken as true (a placeholder that is set).
    """
    info = MAIL_TEXTS[template]
    context = _context({key: _MARK.format(key) for key in info.placeholders if key != "language"}, language,
                       info.recipient_kind)
    context["case_url"] = _MARK.format("case_url") if "case_url" in info.placeholders else None
    if "attachments" in info.placeholders:
        context["attachments"] = _CountMark(2)
    out = {}
    for part, ext, block in (("subject", "txt", "subject"), ("text", "txt", "body"), ("html", "html", "body")):
        tmpl = _env.get_template(f"{template}.{ext}")
        values = dict(context)
        if ext == "html":  # every mail imports the macros as `m` (a block needs them in its context)
            values["m"] = _env.get_template("_macros.html").make_module(values)
        rendered = "".join(tmpl.blocks[block](tmpl.new_context(values)))
        out[part] = re.sub("\ue000([a-z_]+)\ue001", lambda m: "{{ " + m.group(1) + " }}", rendered).strip("\n")
    out["subject"] = " ".join(out["subject"].split())
    return out


def render_row(row: Any) -> RenderedMail:
    """Render an outbox row (anything with template, data, language and recipient_kind)."""
    return render_mail(row.template, row.data or {}, row.language, row.recipient_kind or "melder")
