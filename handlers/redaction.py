"""Hiding a reporter's name, e-mail address and phone numbers in text that someone else will read.

Texts written for one reporter (a description they typed, a closing text a handler wrote to them,
"Beste Els, ...") reach people who may not know who that reporter is: a contractor, or the reporter
of a melding merged into theirs. What is hidden becomes "[verborgen]".
"""
from __future__ import annotations

import re
from typing import Any, Optional

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+|\b00)?\d[\d ./-]{7,}\d")
HIDDEN = "[verborgen]"
# Parts of a name that are ordinary words in Dutch and French: "van" must stay in "de lamp van de straat".
NAME_PARTICLES = {"van", "de", "der", "den", "het", "ter", "ten", "te", "la", "le", "les", "du", "des", "von",
                  "vander", "vanden", "op", "in", "t"}


def _hide_numbers(text: str) -> str:
    # Nine digits or more is a phone or account number; dates and house numbers stay.
    return PHONE.sub(lambda m: HIDDEN if sum(c.isdigit() for c in m.group()) >= 9 else m.group(), text)


def hide_reporter_data(text: Optional[str], reporter: Any, name_parts: bool = False, any_contact: bool = True) -> str:
    """`text` with the reporter's name, e-mail and phone hidden, and (`any_contact`) any e-mail address and
    long number too (a text the reporter typed themselves).

    `name_parts` also hides each capitalised part of the name on its own ("Beste Els," for Els Peeters),
    as a whole word and case-sensitively, so ordinary words are left alone.
    """
    text = text or ""
    if reporter is not None:
        for value in (reporter.name, reporter.email, reporter.phone):
            if value and len(value.strip()) >= 3:
                text = re.sub(re.escape(value.strip()), HIDDEN, text, flags=re.IGNORECASE)
        digits = re.sub(r"\D", "", reporter.phone or "")
        if len(digits) >= 9:  # the same number written with other spaces or dots
            text = re.sub(r"[\s./-]?".join(digits), HIDDEN, text)
        if name_parts and reporter.name:
            for part in re.split(r"[\s,;-]+", reporter.name):
                if len(part) >= 2 and part[0].isupper() and part.lower() not in NAME_PARTICLES:
                    text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", HIDDEN, text)
    return _hide_numbers(EMAIL.sub(HIDDEN, text)) if any_contact else text
