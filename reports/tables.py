"""The rows of a report's tables, with Dutch labels: key figures (this period, the one before, change),
breakdowns per kind of dossier, group, category (meldingen only) and channel.
Raw values for exports, formatted text for documents."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from engine.i18n import N_, long_date

from .bundle import ReportFigures
from .figures import Figures, Share
from .numbers import DASH, change, decimal, hours, integer, percent

CHANNEL_NAMES = {"web": N_("Webformulier"), "telefoon": N_("Telefoon"), "balie": N_("Balie"), "app": "App",
                 "mail": "E-mail", "email": "E-mail", "brief": "Brief", "sociale_media": N_("Sociale media"),
                 "open311": "Open311"}
KIND_NAMES = {"melding": N_("Melding"), "mail": "E-mail", "post": "Brief", "contact": N_("Overgedragen contact")}
KIND_PLURALS = {"melding": ("melding", "meldingen"), "mail": ("e-mail", "e-mails"), "post": ("brief", "brieven"),
                "contact": ("overgedragen contact", "overgedragen contacten")}
NO_GROUP = N_("(nog geen groep)")
NO_CATEGORY = "(geen categorie)"


@dataclass(frozen=True)
class KeyFigure:
    """One line of the key figures: label, kind ('count', 'share' or 'hours') and how to read it."""

    label: str
    kind: str
    value: Callable[[Figures], Any]


KEY_FIGURES = [
    KeyFigure(N_("Binnengekomen dossiers"), "count", lambda f: f.created),
    KeyFigure(N_("waarvan meldingen"), "count", lambda f: f.meldingen),
    KeyFigure(N_("waarvan anonieme meldingen"), "count", lambda f: f.anonymous),
    KeyFigure(N_("Afgesloten dossiers"), "count", lambda f: f.closed),
    KeyFigure(N_("Open op het einde van de periode"), "count", lambda f: f.open_at_end),
    KeyFigure(N_("waarvan over de termijn"), "count", lambda f: f.overdue_at_end),
    KeyFigure(N_("Binnen de termijn afgesloten"), "share", lambda f: f.on_time_share),
    KeyFigure(N_("Doorlooptijd tot afsluiten, mediaan"), "hours", lambda f: f.closing.median_hours),
    KeyFigure(N_("Doorlooptijd tot afsluiten, 90e percentiel"), "hours", lambda f: f.closing.p90_hours),
    KeyFigure(N_("Eerste reactie (in behandeling), mediaan"), "hours", lambda f: f.first_response.median_hours),
    KeyFigure(N_("Eerste reactie (in behandeling), 90e percentiel"), "hours", lambda f: f.first_response.p90_hours),
    KeyFigure(N_("Heropende dossiers"), "count", lambda f: f.reopened),
    KeyFigure(N_("Heropeningsgraad"), "share", lambda f: f.reopen_rate),
    KeyFigure(N_("Antwoorden op de tevredenheidsvraag"), "count", lambda f: f.feedback_answers),
    KeyFigure(N_("Tevreden"), "share", lambda f: f.satisfied_share),
    KeyFigure("Aannemersopdrachten", "count", lambda f: f.contractor_orders),
    KeyFigure(N_("waarvan uitgevoerd"), "count", lambda f: f.contractor_orders_done),
    KeyFigure(N_("Doorlooptijd aannemer, mediaan"), "hours", lambda f: f.contractor_turnaround_median_hours),
]


def format_value(value: Any, kind: str, language: str = "nl") -> str:
    """A key figure as text."""
    if kind == "count":
        return integer(value, language)
    if kind == "share":
        return percent(value, language)
    return hours(value, language)


def format_change(current: Any, previous: Any, kind: str, language: str = "nl") -> str:
    """'+12%' / '−5%' for counts, '+3,0 ptn' for shares, empty for durations or without a base."""
    if kind == "count":
        relative = change(current or 0, previous or 0)
        if relative is None:
            return DASH
        return ("+" if relative > 0 else "") + percent(relative, language).replace("-", "−")
    if kind == "share" and current is not None and previous is not None:
        points = (current - previous) * 100
        text = f"{abs(points):.1f}".replace(".", "," if language == "nl" else ".")
        sign = "+" if points > 0 else ("−" if points < 0 else "")
        return f"{sign}{text} {'ptn' if language == 'nl' else 'pts'}"
    return DASH


def key_figure_rows(report: ReportFigures, language: str = "nl") -> list[tuple[str, str, str, str]]:
    """(label, this period, previous period, change) as text."""
    rows = []
    for spec in KEY_FIGURES:
        now, before = spec.value(report.current), spec.value(report.before)
        rows.append((translate_label(spec.label, language), format_value(now, spec.kind, language),
                     format_value(before, spec.kind, language),
                     format_change(now, before, spec.kind, language)))
    return rows


def key_figure_values(report: ReportFigures) -> list[tuple[str, str, Any, Any]]:
    """(label, kind, this period, previous period) as raw values (shares as fractions, durations in hours)."""
    return [(s.label, s.kind, s.value(report.current), s.value(report.before)) for s in KEY_FIGURES]


def group_name(share: Share) -> str:
    """The group's name, or a label for cases without a group yet."""
    return share.name or NO_GROUP


def kind_name(key: Optional[str]) -> str:
    """The Dutch name of a kind of case ('mail' -> 'E-mail')."""
    return KIND_NAMES.get(key or "", key or DASH)


def channel_name(key: Optional[str]) -> str:
    """The Dutch name of a channel key ('web' -> 'Webformulier')."""
    return CHANNEL_NAMES.get(key or "", key or DASH)


def breakdown_rows(report: ReportFigures) -> dict[str, list[tuple[Any, ...]]]:
    """Raw rows per breakdown: kinds of dossier (name, count, share), groups (name, count, share, closed,
    median hours), main categories and sub categories (main, sub, count, share; meldingen only) and channels
    (name, count, share)."""
    f = report.current
    lead = {g.key: g for g in report.per_group}
    groups = [(group_name(s), s.count, s.share, lead[s.key].closed if s.key in lead else 0,
               lead[s.key].median_hours if s.key in lead else None) for s in f.by_group]
    return {
        "kinds": [(kind_name(s.key), s.count, s.share) for s in f.by_kind],
        "groups": groups,
        "main": [(s.name or NO_CATEGORY, s.count, s.share) for s in f.by_main_category],
        "sub": [(report.main_of.get(s.key or "", NO_CATEGORY), s.name or NO_CATEGORY, s.count, s.share)
                for s in f.by_sub_category],
        "channels": [(channel_name(s.key), s.count, s.share) for s in f.by_channel],
    }


def period_text(first: date, last: date, language: str = "nl") -> str:
    """'1 juli 2026 – 30 september 2026' (or one date)."""
    if first == last:
        return long_date(first, language)
    return f"{long_date(first, language)} – {long_date(last, language)}"


# English for the labels above, used by the mails (English readers); the pages take theirs from the
# catalogues in web/translations.
LABELS_EN = {
    "Binnengekomen dossiers": "Cases received", "waarvan meldingen": "of which reports",
    "waarvan anonieme meldingen": "of which anonymous reports",
    "Afgesloten dossiers": "Cases closed",
    "Open op het einde van de periode": "Open at the end of the period", "waarvan over de termijn": "of which overdue",
    "Binnen de termijn afgesloten": "Closed within the deadline",
    "Doorlooptijd tot afsluiten, mediaan": "Time to close, median",
    "Doorlooptijd tot afsluiten, 90e percentiel": "Time to close, 90th percentile",
    "Eerste reactie (in behandeling), mediaan": "First response (taken into handling), median",
    "Eerste reactie (in behandeling), 90e percentiel": "First response (taken into handling), 90th percentile",
    "Heropende dossiers": "Cases reopened", "Heropeningsgraad": "Reopen rate",
    "Antwoorden op de tevredenheidsvraag": "Answers to the satisfaction question", "Tevreden": "Satisfied",
    "Aannemersopdrachten": "Contractor orders", "waarvan uitgevoerd": "of which done",
    "Doorlooptijd aannemer, mediaan": "Contractor turnaround, median",
    NO_GROUP: "(no group yet)", NO_CATEGORY: "(no category)", "Webformulier": "Web form", "Telefoon": "Phone",
    "Balie": "Desk", "E-mail": "E-mail", "Brief": "Letter", "Melding": "Report", "Sociale media": "Social media",
}


def translate_label(text: str, language: str) -> str:
    """A label of the tables in the reader's language (Dutch is the source)."""
    return LABELS_EN.get(text, text) if language == "en" else text


def display_rows(report: ReportFigures, language: str = "nl") -> dict[str, list[tuple[str, ...]]]:
    """The breakdowns as text: kinds (name, count, share), groups (name, count, share, closed, median days),
    main categories
    (name, count, share), sub categories (main, sub, count, share), channels (name, count, share)."""
    rows = breakdown_rows(report)

    def days(median: Optional[float]) -> str:
        return decimal(median / 24 if median is not None else None, 1, language)

    return {
        "kinds": [(translate_label(name, language), integer(count, language), percent(share, language))
                  for name, count, share in rows["kinds"]],
        "groups": [(translate_label(name, language), integer(count, language), percent(share, language),
                    integer(closed, language), days(median)) for name, count, share, closed, median in rows["groups"]],
        "main": [(translate_label(name, language), integer(count, language), percent(share, language))
                 for name, count, share in rows["main"]],
        "sub": [(translate_label(main, language), translate_label(name, language), integer(count, language),
                 percent(share, language)) for main, name, count, share in rows["sub"]],
        "channels": [(translate_label(name, language), integer(count, language), percent(share, language))
                     for name, count, share in rows["channels"]],
    }


def period_phrase(first: date, last: date) -> str:
    """The start of a summary sentence: 'Van 1 december 2026 tot en met 14 december 2026'."""
    return f"Op {long_date(first)}" if first == last else f"Van {long_date(first)} tot en met {long_date(last)}"


# -- the first line's contacts (reports/contact_figures.py) ---------------------------------------------------------

OUTCOME_NAMES = {"answered": N_("Meteen beantwoord"), "melding": N_("Melding gemaakt"),
                 "handover": N_("Overgedragen aan een dienst"),
                 "existing_case": N_("Toegevoegd aan een bestaand dossier")}
CONTACT_LABELS = {
    "contacts": N_("Geregistreerde contacten"), "calls": N_("Gesprekken (zonder dubbele registraties)"),
    "answered": N_("Meteen beantwoord"), "fcr": N_("Eerstelijnsoplossing (meteen beantwoord)"),
    "handovers": N_("Overgedragen aan een dienst"),
}
LABELS_EN.update({
    "Geregistreerde contacten": "Contacts registered", "Gesprekken (zonder dubbele registraties)":
    "Calls (without double registrations)", "Meteen beantwoord": "Answered at once",
    "Eerstelijnsoplossing (meteen beantwoord)": "First-contact resolution (answered at once)",
    "Overgedragen aan een dienst": "Handed over to a service", "Melding gemaakt": "Made into a report",
    "Toegevoegd aan een bestaand dossier": "Added to an existing case", "Overgedragen contact": "Handed-over contact",
})


def contact_rows(report: ReportFigures, language: str = "nl") -> dict[str, list[tuple[str, ...]]]:
    """The contact figures as text: key figures (label, value), channels, topics and outcomes (name, count,
    share), and hand-overs per group (group, handed over, answered, overdue, median and 90th percentile of the
    answer time in hours)."""
    c = report.contacts
    if c is None:
        return {"key": [], "channels": [], "topics": [], "outcomes": [], "handovers": []}
    key = [(CONTACT_LABELS["contacts"], integer(c.contacts, language)),
           (CONTACT_LABELS["calls"], integer(c.calls, language)),
           (CONTACT_LABELS["answered"], integer(c.answered_at_once, language))]
    if report.group_key is None:
        key.append((CONTACT_LABELS["fcr"], percent(c.first_contact_resolution, language)))
    key.append((CONTACT_LABELS["handovers"], integer(c.handovers, language)))
    return {
        "key": [(translate_label(label, language), value) for label, value in key],
        "channels": [(translate_label(channel_name(s.key), language), integer(s.count, language),
                      percent(s.share, language)) for s in c.by_channel],
        "topics": [(s.name or DASH, integer(s.count, language), percent(s.share, language)) for s in c.by_topic],
        "outcomes": [(translate_label(OUTCOME_NAMES.get(s.key or "", s.key or DASH), language),
                      integer(s.count, language), percent(s.share, language)) for s in c.by_outcome],
        "handovers": [(r.name, integer(r.handed_over, language), integer(r.answered, language),
                       integer(r.overdue, language), hours(r.answer_time.median_hours, language),
                       hours(r.answer_time.p90_hours, language)) for r in c.per_group],
    }
