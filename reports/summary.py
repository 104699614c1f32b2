"""The short summary paragraph of a report, written from its figures in Dutch."""
from __future__ import annotations

from .bundle import ReportFigures
from .figures import Figures
from .numbers import hours, integer, percent
from .tables import KIND_PLURALS


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def _dossiers(count: int) -> str:
    return f"{integer(count)} {'dossier' if count == 1 else 'dossiers'}"


def _kinds(f: Figures) -> str:
    """': 6 meldingen, 2 e-mails en 1 brief' (the kinds that came in), ', allemaal meldingen' when all are of one
    kind, or '' when none came in."""
    came = [s for s in f.by_kind if s.count]
    if len(came) == 1 and came[0].count == f.created:  # one kind only: ', allemaal meldingen' / ', een brief'
        singular, plural = KIND_PLURALS.get(came[0].key or "", (came[0].key, came[0].key))
        return f", een {singular}" if f.created == 1 else f", allemaal {plural}"
    parts = [f"{integer(s.count)} {KIND_PLURALS.get(s.key or '', (s.key, s.key))[0 if s.count == 1 else 1]}"
             for s in came]
    if not parts:
        return ""
    return ": " + (", ".join(parts[:-1]) + " en " + parts[-1] if len(parts) > 1 else parts[0])


def summary(report: ReportFigures, period_phrase: str, previous_phrase: str) -> str:
    """E.g. 'In het derde kwartaal van 2026 kwamen 1.234 dossiers binnen: 1.000 meldingen, 150 e-mails en 84
    brieven. Dat is 12% meer dan het vorige kwartaal; 43% van de meldingen ging over weg, voetpad of plein;
    87% werd binnen de termijn afgesloten. ...'. Totals count dossiers of every kind; the category share is
    one of the meldingen (only meldingen have a category).

    `period_phrase` starts the sentence ('In het derde kwartaal van 2026'), `previous_phrase` names the
    period compared with ('het vorige kwartaal').
    """
    f, before = report.current, report.before
    verb = "kwam" if f.created == 1 else "kwamen"
    opening = f"{period_phrase} {verb} {_dossiers(f.created)} binnen"
    if not f.created:
        gone = f", {percent(1)} minder dan {previous_phrase}" if before.created else f", net als {previous_phrase}"
        sentences, parts = [opening + gone + "."], []
    else:
        sentences = [f"{opening}{_kinds(f)}."]
        if before.created == 0:
            parts = [f"{previous_phrase[:1].upper()}{previous_phrase[1:]} kwam er geen binnen"]
        elif f.created == before.created:
            parts = [f"Dat is evenveel als {previous_phrase}"]
        else:
            relative = abs(f.created - before.created) / before.created
            parts = [f"Dat is {percent(relative)} {'meer' if f.created > before.created else 'minder'} "
                     f"dan {previous_phrase}"]
    top = f.by_main_category[0] if f.by_main_category else None
    if top is not None and top.name:
        parts.append(f"{percent(top.share)} van de meldingen ging over {_lower_first(top.name)}")
    if f.on_time_share is not None:
        parts.append(f"{percent(f.on_time_share)} van de afgesloten dossiers werd binnen de termijn afgesloten")
    if parts:
        sentences.append("; ".join(parts) + ".")

    if f.closed:
        sentences.append(f"Er werden {_dossiers(f.closed)} afgesloten" if f.closed != 1
                         else "Er werd 1 dossier afgesloten")
        if f.closing.median_hours is not None:
            sentences[-1] += f", de helft binnen {hours(f.closing.median_hours)}"
        sentences[-1] += "."
    if f.open_at_end:
        overdue = f", waarvan {integer(f.overdue_at_end)} over de termijn" if f.overdue_at_end else ""
        if f.state_at is not None and f.state_at < f.end:  # the period runs on: the state now
            be = "staat" if f.open_at_end == 1 else "staan"
            sentences.append(f"Op het moment van dit rapport {be} nog {_dossiers(f.open_at_end)} open{overdue}.")
        else:
            be = "stond" if f.open_at_end == 1 else "stonden"
            sentences.append(f"Op het einde van de periode {be} nog {_dossiers(f.open_at_end)} open{overdue}.")
    if f.reopened:
        sentences.append(f"{_dossiers(f.reopened)} {'werd' if f.reopened == 1 else 'werden'} heropend"
                         f" ({percent(f.reopen_rate)} van de afgesloten dossiers)." if f.reopen_rate is not None
                         else f"{_dossiers(f.reopened)} {'werd' if f.reopened == 1 else 'werden'} heropend.")
        sentences[-1] = sentences[-1][:1].upper() + sentences[-1][1:]
    if f.feedback_answers == 1:
        sentences.append("Het enige antwoord op de tevredenheidsvraag was "
                         f"{'tevreden' if f.feedback_satisfied else 'niet tevreden'}.")
    elif f.feedback_answers:
        sentences.append(f"Van de {integer(f.feedback_answers)} antwoorden op de tevredenheidsvraag was "
                         f"{percent(f.satisfied_share)} tevreden.")
    return " ".join(sentences)
