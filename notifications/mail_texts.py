"""Mail texts a city edits itself (/werk/beheer/mailteksten): which mails there are, their placeholders, versions.

Every mail the processes send has a shipped template (notifications/templates/<mail>.txt and .html, Dutch
msgids rendered per language through the catalogue). An administrator can replace, per language, its subject
and the body of its text and HTML part; the layout around the body (greeting, notice for merged cases or
followers, tracking link, signature, footer) stays the shipped one. Every save is a new `MailTextVersion`;
the newest one of a mail and language is the one used, unless it says `shipped` ("terug naar standaard"):
then the shipped template is used again.

Edited texts are rendered in Jinja's SandboxedEnvironment and checked before they are stored
(`check_text`): only the placeholders of the mail (MAIL_TEXTS, PLACEHOLDERS below), `{% if %}`, a few harmless
filters; no attribute or item access, no calls, no loops, no arithmetic that can blow up; the HTML part is
autoescaped. A text that breaks a rule is refused with its line number and a Dutch reason.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup
from sqlalchemy import Boolean, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime, db
from engine.i18n import N_

LANGUAGES = ("nl", "en")
PARTS = ("subject", "text", "html")
MAX_LENGTH = {"subject": 300, "text": 20_000, "html": 40_000}

# Every placeholder a mail can get, with what it holds (Dutch; English in the catalogues).
PLACEHOLDERS: dict[str, str] = {
    "reference": N_("het referentienummer van de melding"),
    "city": N_("de naam van de stad"),
    "name": N_("de naam van de ontvanger (leeg als die onbekend is)"),
    "tracking_url": N_("de link naar de volgpagina van de melding"),
    "case_url": N_("de link naar het dossier voor medewerkers"),
    "public_text": N_("de tekst voor de melder (antwoord, vraag of reden)"),
    "feedback_yes_url": N_("de link 'ja, ik ben tevreden'"),
    "feedback_no_url": N_("de link 'nee, ik ben niet tevreden'"),
    "feedback_days": N_("hoeveel dagen de melder heeft om te antwoorden (het feedbackvenster van het procesmodel)"),
    "thanks": N_("waar als de melder bedankt wordt voor de heropening"),
    "merged": N_("waar als de melding samengevoegd werd met een eerdere"),
    "follower": N_("waar als de ontvanger de melding volgt via 'Ik meld hetzelfde'"),
    "deadline": N_("de verstreken termijn"),
    "group": N_("de naam van de behandelaarsgroep"),
    "contractor": N_("de naam van de aannemer"),
    "order_id": N_("het nummer van de opdracht aan de aannemer"),
    "instructions": N_("de instructies voor de aannemer"),
    "portal_url": N_("de link naar het aannemersportaal"),
    "from_group": N_("de groep die de melding doorgaf"),
    "note": N_("de toelichting bij de overdracht"),
    "by": N_("wie de melding doorgaf"),
    "mail_subject": N_("het onderwerp van de mail van de burger"),
    "answer_text": N_("het antwoord aan de burger"),
    "letter_subject": N_("het onderwerp van de brief"),
    "sender": N_("de afzender van de brief"),
    "mail_from": N_("het adres van de afzender van de mail"),
    "mail_text": N_("het begin van de tekst van de mail"),
    "truncated": N_("waar als de mailtekst ingekort werd"),
    "attachments": N_("het aantal bijlagen"),
    "answer": N_("wat de melder antwoordde"),
    "duplicate": N_("het referentienummer van de dubbele melding"),
    "reason": N_("waarom de melding terugkomt: antwoord, geen_reactie of aannemer"),
    "result": N_("het resultaat dat de aannemer meldde"),
    "assigned": N_("waar als de melding terug aan een medewerker toegewezen werd"),
    "language": N_("de taal van de mail (nl of en)"),
}


@dataclass(frozen=True)
class MailText:
    """One mail the processes send: what it is for, who gets it, the placeholders its data holds."""

    purpose: str
    recipient_kind: str  # melder, medewerker, aannemer
    placeholders: tuple[str, ...]


_REPORTER = ("reference", "city", "name", "tracking_url", "merged", "follower", "language")
_STAFF = ("reference", "city", "case_url", "language")
_CONTRACTOR = ("reference", "city", "language")

# The one table of mails: where each is queued (bpmn notify.reporter / handlers / intake) decides its data.
MAIL_TEXTS: dict[str, MailText] = {
    "ontvangen": MailText(N_("Bevestiging aan de melder dat de melding ontvangen is"), "melder", _REPORTER),
    "in_behandeling": MailText(N_("Aan de melder: de melding is in behandeling genomen"), "melder", _REPORTER),
    "informatie_gevraagd": MailText(N_("Aan de melder: de behandelaar vraagt meer informatie"), "melder",
                                    _REPORTER + ("public_text",)),
    "afgesloten": MailText(N_("Aan de melder: de melding is afgehandeld, met de vraag of hij tevreden is"),
                           "melder", _REPORTER + ("public_text", "feedback_yes_url", "feedback_no_url",
                                                  "feedback_days")),
    "doorverwezen": MailText(N_("Aan de melder: de melding is doorverwezen naar een andere instantie"), "melder",
                             _REPORTER + ("public_text",)),
    "duplicaat": MailText(N_("Aan de melder: de melding werd samengevoegd met een eerdere melding"), "melder",
                          _REPORTER),
    "gesloten_gehouden": MailText(N_("Aan de melder: de melding wordt niet heropend"), "melder",
                                  _REPORTER + ("public_text",)),
    "heropend": MailText(N_("Aan de melder: de melding is heropend"), "melder", _REPORTER + ("thanks",)),
    "escalatie": MailText(N_("Aan verantwoordelijken en meldkamer: de termijn van een melding is verstreken"),
                          "medewerker", _STAFF + ("deadline", "group")),
    "aannemer_opdracht": MailText(N_("Aan de aannemer: een nieuwe opdracht"), "aannemer",
                                  _CONTRACTOR + ("contractor", "order_id", "instructions", "portal_url")),
    "aannemer_herinnering": MailText(N_("Aan de aannemer: herinnering aan een openstaande opdracht"), "aannemer",
                                     _CONTRACTOR + ("contractor", "order_id", "instructions", "portal_url")),
    "aannemer_escalatie": MailText(N_("Aan verantwoordelijke en meldkamer: de aannemer reageert niet"),
                                   "medewerker", _STAFF + ("order_id", "contractor")),
    "overdracht": MailText(N_("Aan een medewerker: een melding werd aan u doorgegeven"), "medewerker",
                           _STAFF + ("from_group", "note", "by")),
    "ontvangstbevestiging_mail": MailText(N_("Aan de burger: ontvangstbevestiging van een mail aan het infoadres"),
                                          "melder", _REPORTER),
    "antwoord_mail": MailText(N_("Aan de burger: het antwoord op een mail aan het infoadres"), "melder",
                              _REPORTER + ("mail_subject", "answer_text")),
    "escalatie_mail": MailText(N_("Aan het onthaal: een mail aan het infoadres wacht te lang op antwoord"),
                               "medewerker", _STAFF + ("deadline", "group", "mail_subject")),
    "ontvangstbevestiging_post": MailText(N_("Aan de afzender: ontvangstbevestiging van een brief"), "melder",
                                          _REPORTER),
    "post_escalatie": MailText(N_("Aan het onthaal: een brief wacht te lang op antwoord"), "medewerker",
                               _STAFF + ("deadline", "group", "letter_subject")),
    "post_ter_info": MailText(N_("Aan een groep: een brief ter informatie"), "medewerker",
                              _STAFF + ("letter_subject", "group", "sender")),
    "nieuwe_mail": MailText(N_("Aan de groep: een nieuwe mail van de burger bij een dossier"), "medewerker",
                            _STAFF + ("group", "mail_from", "mail_subject", "mail_text", "truncated",
                                      "attachments")),
    "melder_niet_tevreden": MailText(N_("Aan de groep: de melder is niet tevreden over de afhandeling"),
                                     "medewerker", _STAFF + ("group", "answer", "duplicate")),
    "antwoord_ontvangen": MailText(N_("Aan de behandelaar: de melder of aannemer antwoordde (of niet)"),
                                   "medewerker", _STAFF + ("name", "reason", "group", "result", "assigned")),
    "volgen_bevestiging": MailText(N_("Aan wie 'Ik meld hetzelfde' koos: bevestiging met de volglink"), "melder",
                                   ("reference", "city", "name", "tracking_url", "language")),
}

# Filters an edited text may use: none of them can read internals, loop or build huge values.
ALLOWED_FILTERS = frozenset({"default", "d", "upper", "lower", "capitalize", "title", "trim", "escape", "e",
                             "striptags", "datetime", "lines", "strong"})
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "true", "false", "string", "number", "sameas"})


class MailTextVersion(Model):
    """One saved text of one mail in one language; the newest per (template, language) is used."""

    __tablename__ = "mail_text_versions"
    __table_args__ = (Index("ix_mail_text_versions_template_language_id", "template", "language", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    template: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(2))
    shipped: Mapped[bool] = mapped_column(Boolean, default=False)  # "terug naar standaard": the template files
    subject: Mapped[Optional[str]] = mapped_column(Text)
    text: Mapped[Optional[str]] = mapped_column(Text)
    html: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200), default="systeem")
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def versions(template: str, language: Optional[str] = None) -> list[MailTextVersion]:
    """The versions of a mail, newest first (of one language, or of both)."""
    query = select(MailTextVersion).where(MailTextVersion.template == template)
    if language:
        query = query.where(MailTextVersion.language == language)
    return list(db.session.scalars(query.order_by(MailTextVersion.id.desc())))


def current_version(template: str, language: str) -> Optional[MailTextVersion]:
    """The edited text in use for this mail and language; None when the shipped template is used."""
    newest = db.session.scalars(
        select(MailTextVersion).where(MailTextVersion.template == template, MailTextVersion.language == language)
        .order_by(MailTextVersion.id.desc()).limit(1)).first()
    return None if newest is None or newest.shipped else newest


# --- the sandbox -----------------------------------------------------------------------------------------------

class MailSandbox(SandboxedEnvironment):
    """Jinja's sandbox without globals, with only harmless filters, and no `*`/`**` (no huge values)."""

    intercepted_binops = frozenset({"*", "**", "/", "//", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        raise SecurityError(f"operator {operator!r} is not allowed")


def _sandbox(html: bool) -> MailSandbox:
    env = MailSandbox(autoescape=html, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.clear()
    env.filters = {name: f for name, f in env.filters.items() if name in ALLOWED_FILTERS}
    env.tests = {name: t for name, t in env.tests.items() if name in ALLOWED_TESTS}
    return env


SANDBOX_TEXT = _sandbox(html=False)
SANDBOX_HTML = _sandbox(html=True)


def install_filters(**filters: Any) -> None:
    """The mail filters (datetime, lines, strong) of notifications/render.py, in both sandboxes."""
    for env in (SANDBOX_TEXT, SANDBOX_HTML):
        env.filters.update({k: v for k, v in filters.items() if k in ALLOWED_FILTERS})


@dataclass(frozen=True)
class TextProblem:
    """Why a text cannot be used: the part (subject, text, html), the line and a Dutch reason."""

    part: str
    line: int
    reason: str  # a Dutch msgid; `values` fill its {names}
    values: tuple[tuple[str, str], ...] = ()


_TAGS = {nodes.For: "for", nodes.Macro: "macro", nodes.CallBlock: "call", nodes.Import: "import",
         nodes.FromImport: "from", nodes.Include: "include", nodes.Extends: "extends", nodes.Block: "block",
         nodes.Assign: "set", nodes.AssignBlock: "set", nodes.With: "with", nodes.FilterBlock: "filter",
         nodes.ScopedEvalContextModifier: "autoescape", nodes.ExprStmt: "do"}


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _ast_problems(part: str, tree: nodes.Template, allowed: set[str]) -> list[TextProblem]:
    problems = []
    for node in _walk(tree):
        line = getattr(node, "lineno", 1) or 1
        tag = next((t for cls, t in _TAGS.items() if isinstance(node, cls)), None)
        if isinstance(node, nodes.For):
            problems.append(TextProblem(part, line, N_("herhalingen ({tag}) zijn niet toegestaan in een mailtekst"),
                                        (("tag", "{% for %}"),)))
        elif tag:
            problems.append(TextProblem(part, line, N_("{tag} is niet toegestaan in een mailtekst: gebruik alleen "
                                                       "plaatshouders en {cond}"),
                                        (("tag", "{% " + tag + " %}"), ("cond", "{% if %}"))))
        elif isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Slice)):
            problems.append(TextProblem(part, line, N_("toegang tot attributen of onderdelen van een waarde "
                                                       "(met . of [ ]) is niet toegestaan")))
        elif isinstance(node, nodes.Call):
            problems.append(TextProblem(part, line, N_("functies aanroepen is niet toegestaan in een mailtekst")))
        elif isinstance(node, (nodes.Mul, nodes.Pow, nodes.Div, nodes.FloorDiv, nodes.Mod)):
            problems.append(TextProblem(part, line, N_("rekenen met *, **, / of % is niet toegestaan in een "
                                                       "mailtekst")))
        elif isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            problems.append(TextProblem(part, line, N_("de filter '{name}' is niet toegestaan"),
                                        (("name", str(node.name)),)))
        elif isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
            problems.append(TextProblem(part, line, N_("de test '{name}' is niet toegestaan"),
                                        (("name", str(node.name)),)))
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in allowed:
            problems.append(TextProblem(part, line, N_("onbekende plaatshouder '{name}': deze mail kent alleen "
                                                       "{known}"),
                                        (("name", node.name), ("known", ", ".join(sorted(allowed))))))
    return problems


def _runtime_line(err: BaseException) -> int:
    """The template line a render error happened on (Jinja rewrites its traceback to the template's lines)."""
    line, tb = 1, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def sample_data(template: str) -> dict[str, Any]:
    """Values for every placeholder of a mail, to try a text on before it is stored."""
    data: dict[str, Any] = {key: f"<{key}>" for key in MAIL_TEXTS[template].placeholders}
    data.update({k: True for k in ("thanks", "merged", "follower", "truncated", "assigned") if k in data})
    if "attachments" in data:
        data["attachments"] = 2
    if "deadline" in data:
        data["deadline"] = "2026-01-02T10:00:00+00:00"
    data["language"] = "nl"
    return data


def _too_deep(part: str) -> TextProblem:
    return TextProblem(part, 1, N_("deze tekst is te diep genest (te veel haakjes of {cond} in elkaar)"),
                       (("cond", "{% if %}"),))


def check_text(template: str, part: str, source: str) -> list[TextProblem]:
    """Every reason `source` cannot be the `part` of mail `template` (empty: it can)."""
    if not source.strip():
        return [TextProblem(part, 1, N_("dit veld is verplicht"))]
    if len(source) > MAX_LENGTH[part]:
        return [TextProblem(part, 1, N_("deze tekst is te lang (hoogstens {max} tekens)"),
                            (("max", str(MAX_LENGTH[part])),))]
    if part == "subject" and "\n" in source.strip():
        return [TextProblem(part, 2, N_("het onderwerp moet op één regel staan"))]
    env = SANDBOX_HTML if part == "html" else SANDBOX_TEXT
    try:
        tree = env.parse(source)
    except (RecursionError, SyntaxError):  # Python cannot compile that many nested blocks
        return [_too_deep(part)]
    except TemplateSyntaxError as err:
        return [TextProblem(part, err.lineno or 1, N_("syntaxfout: controleer of elke {value} en {tag} juist "
                                                      "gesloten is en elke {cond} een {end} heeft"),
                            (("value", "{{ … }}"), ("tag", "{% … %}"), ("cond", "{% if %}"),
                             ("end", "{% endif %}")))]
    try:
        problems = _ast_problems(part, tree, set(MAIL_TEXTS[template].placeholders))
    except RecursionError:
        problems = [_too_deep(part)]
    if problems:
        return problems
    try:
        env.from_string(source).render(sample_data(template))
    except (RecursionError, SyntaxError):  # Python cannot compile that many nested blocks
        return [_too_deep(part)]
    except SecurityError as err:
        return [TextProblem(part, _runtime_line(err), N_("de sandbox weigert deze tekst (niet toegelaten "
                                                         "bewerking)"))]
    except (TemplateError, TypeError, ValueError, OverflowError) as err:
        return [TextProblem(part, _runtime_line(err), N_("deze tekst kan niet opgemaakt worden met de gegevens van "
                                                         "de mail"))]
    return []


def render_edited(version: MailTextVersion, context: Mapping[str, Any]) -> tuple[str, str, Markup]:
    """Subject, text body and HTML body of an edited version, rendered in the sandbox."""
    subject = SANDBOX_TEXT.from_string(version.subject or "").render(context)
    text = SANDBOX_TEXT.from_string(version.text or "").render(context)
    html = Markup(SANDBOX_HTML.from_string(version.html or "").render(context))
    return subject, text, html


def sandbox_errors() -> tuple[type[BaseException], ...]:
    """What rendering an edited text can raise (the sender marks the row failed, it never crashes)."""
    return TemplateError, TypeError, ValueError, OverflowError, RecursionError, SyntaxError


__all__ = ["LANGUAGES", "MAIL_TEXTS", "PLACEHOLDERS", "MailText", "MailTextVersion", "TextProblem", "check_text",
           "current_version", "install_filters", "render_edited", "sample_data", "versions"]
