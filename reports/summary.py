"""The short summary paragraph of a report, written from its figures in Dutch."""
from __future__ import annotations

from .bundle import ReportFigures
from .numbers import hours, integer, percent


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def _meldingen(count: int) -> str:
    return f"{integer(count)} {'melding' if count == 1 else 'meldingen'}"


def summary(report: ReportFigures, period_phrase: str, previous_phrase: str) -> str:
    """E.g. 'In het derde kwartaal van 2026 kwamen 1.234 meldingen binnen, 12% meer dan het vorige kwartaal;
    43% ging over weg, voetpad of plein; 87% werd binnen de termijn afgesloten. ...'.

    `period_phrase` starts the sentence ('In het derde kwartaal van 2026'), `previous_phrase` names the
    period compared with ('het vorige kwartaal').
    """
    f, before = report.current, report.before
    verb = "kwam" if f.created == 1 else "kwamen"
    first = f"{period_phrase} {verb} {_meldingen(f.created)} binnen"
    if before.created == 0:
        first += f" ({previous_phrase}: geen)" if f.created else f", net als {previous_phrase}"
    elif f.created == before.created:
        first += f", evenveel als {previous_phrase}"
    else:
        relative = abs(f.created - before.created) / before.created
        more = "meer" if f.created > before.created else "minder"
        first += f", {percent(relative)} {more} dan {previous_phrase}"
    parts = [first]
    top = f.by_main_category[0] if f.by_main_category else None
    if top is not None and top.name:
        parts.append(f"{percent(top.share)} ging over {_lower_first(top.name)}")
    if f.on_time_share is not None:
        parts.append(f"{percent(f.on_time_share)} werd binnen de termijn afgesloten")
    sentences = ["; ".join(parts) + "."]

    if f.closed:
        sentences.append(f"Er werden {_meldingen(f.closed)} afgesloten" if f.closed != 1
                         else "Er werd 1 melding afgesloten")
        if f.closing.median_hours is not None:
            sentences[-1] += f", de helft binnen {hours(f.closing.median_hours)}"
        sentences[-1] += "."
    if f.open_at_end:
        overdue = f", waarvan {integer(f.overdue_at_end)} over de termijn" if f.overdue_at_end else ""
        be = "stond" if f.open_at_end == 1 else "stonden"
        sentences.append(f"Op het einde van de periode {be} nog {_meldingen(f.open_at_end)} open{overdue}.")
    if f.reopened:
        sentences.append(f"{_meldingen(f.reopened)} {'werd' if f.reopened == 1 else 'werden'} heropend"
                         f" ({percent(f.reopen_rate)} van de afgesloten meldingen)." if f.reopen_rate is not None
                         else f"{_meldingen(f.reopened)} {'werd' if f.reopened == 1 else 'werden'} heropend.")
        sentences[-1] = sentences[-1][:1].upper() + sentences[-1][1:]
    if f.feedback_answers == 1:
        sentences.append("Het enige antwoord op de tevredenheidsvraag was "
                         f"{'tevreden' if f.feedback_satisfied else 'niet tevreden'}.")
    elif f.feedback_answers:
        sentences.append(f"Van de {integer(f.feedback_answers)} antwoorden op de tevredenheidsvraag was "
                         f"{percent(f.satisfied_share)} tevreden.")
    return " ".join(sentences)
