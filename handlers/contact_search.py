"""Finding the caller while they are on the line: one text finds citizens and cases (the contact page, /werk/contact).

`search_people_and_cases(text, user)` looks for the text in

- a case reference ("M2026-000012", typed in any case): that one case;
- reporters' name, e-mail address and phone number (a phone number matches on its digits, however it was
  typed: "0471 12 34 56", "0471/123456" and "+32 471 12 34 56" are the same number);
- the addresses of cases (a citizen is often known by where they live or what they reported about).

What it finds is scoped by the permission table exactly as the case page is: a case only when the user may
see it (`case.see`: a handler sees their own groups' cases), a person's name, e-mail and phone only when the
user may see the contact data of at least one of that person's cases (`case.see_contact`), and a case's
description only for roles that read reporters' texts (`reporter_data.see`). A role that may see no contact
data at all never finds anyone by name, e-mail or phone. The query is limited in SQL, then checked case by
case with `may()`, so what the page shows and what the case page allows never differ.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import joinedload

from engine import statuses
from engine.db import db
from engine.models import Case, Reporter

from .contacts import link_candidates, linked_reporter_ids
from .models import HandlerGroup, User
from .permission_table import ALL, NO, scope
from .permissions import may

MIN_LENGTH = 2  # fewer characters find too much to be of use during a call
MAX_LENGTH = 200
CASES_PER_PERSON = 10
CANDIDATES_FOR = 3  # "maybe the same citizen" is looked up for the first people found (one query each)
REFERENCE = re.compile(r"^[A-Z]\d{4}-\d{6}$")
PHONE_CHARACTERS = re.compile(r"^[\d\s+()./-]+$")
MIN_PHONE_DIGITS = 4


@dataclass
class FoundCase:
    """A case as the contact page lists it (nothing the user may not see)."""

    reference: str
    kind: str
    channel: str
    status: str  # the status label, in the user's language
    created_at: datetime
    category: Optional[str]
    group: Optional[str]
    address: Optional[str]
    description: Optional[str]  # None for roles that do not read reporters' texts
    reporter_id: Optional[int] = None

    def as_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "kind": self.kind, "channel": self.channel, "status": self.status,
                "created_at": self.created_at.isoformat(), "category": self.category, "group": self.group,
                "address": self.address, "description": self.description}


@dataclass
class FoundPerson:
    """A citizen (a reporter row) with the cases of theirs the user may see, newest first."""

    id: int
    name: Optional[str]
    email: Optional[str]
    phone: Optional[str]
    cases: list[FoundCase] = field(default_factory=list)
    # Other reporter rows staff linked to this one as the same citizen (their cases are among `cases`), and rows
    # that may be the same citizen under another e-mail address, to offer for linking (never merged by itself).
    linked: list[OtherRow] = field(default_factory=list)
    candidates: list[OtherRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return " · ".join(part for part in (self.name, self.email, self.phone) if part)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "phone": self.phone,
                "cases": [c.as_json() for c in self.cases], "linked": [r.as_json() for r in self.linked],
                "candidates": [r.as_json() for r in self.candidates]}


@dataclass
class OtherRow:
    """Another reporter row of (maybe) the same citizen: its id and how it is named."""

    id: int
    label: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label}


@dataclass
class SearchResult:
    """People found, and cases found that belong to nobody the user may see (anonymous, or by reference)."""

    text: str
    people: list[FoundPerson] = field(default_factory=list)
    cases: list[FoundCase] = field(default_factory=list)
    too_short: bool = False

    @property
    def empty(self) -> bool:
        return not self.people and not self.cases

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "too_short": self.too_short, "people": [p.as_json() for p in self.people],
                "cases": [c.as_json() for c in self.cases]}


def phone_digits(value: str) -> str:
    """The digits of a typed phone number without the country code or trunk zero: what every notation shares."""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("0032"):
        digits = digits[4:]
    elif digits.startswith("32") and value.strip().startswith("+"):
        digits = digits[2:]
    return digits.lstrip("0")


def _digits_of_column(column):
    """SQL: the phone column without the separators people type (both SQLite and PostgreSQL know replace())."""
    expression = column
    for separator in (" ", ".", "/", "-", "(", ")", "+"):
        expression = func.replace(expression, separator, "")
    return expression


def _visible_group_ids(user: User, action: str) -> Optional[list[int]]:
    """None when the user's role does the action on every case; else the ids of the groups they act for."""
    if scope(user, action) == ALL:
        return None
    keys = user.group_keys
    if not keys:
        return []
    return list(db.session.scalars(select(HandlerGroup.id).where(HandlerGroup.key.in_(keys))))


def _scoped(query, user: User, action: str):
    groups = _visible_group_ids(user, action)
    if groups is None:
        return query
    return query.where(Case.group_id.in_(groups)) if groups else query.where(false())


def _found_case(case: Case, user: User, language: str) -> FoundCase:
    return FoundCase(
        reference=case.reference or "", kind=case.kind, channel=case.channel,
        status=statuses.label(case.status, language, case.definition_id), created_at=case.created_at,
        category=case.category.name if case.category else None, group=case.group.name if case.group else None,
        address=case.address, description=case.description if may(user, "reporter_data.see") else None,
        reporter_id=case.reporter_id)


def _case_query():
    return select(Case).options(joinedload(Case.category), joinedload(Case.group))


def search_people_and_cases(text: str, user: User, limit: int = 8, language: Optional[str] = None
                            ) -> SearchResult:
    """What the contact page shows for `text` (see the module's docstring): at most `limit` people, each
    with their latest cases, and at most `limit` cases that belong to no person shown."""
    text = " ".join((text or "").split())[:MAX_LENGTH]
    result = SearchResult(text=text)
    language = language or getattr(user, "language", None) or "nl"
    if len(text) < MIN_LENGTH:
        result.too_short = bool(text)
        return result
    if scope(user, "case.see") == NO or not user.active:
        return result
    see_contact = scope(user, "case.see_contact") != NO
    reference = text.upper()
    if REFERENCE.match(reference):
        case = db.session.scalar(_case_query().where(Case.reference == reference))
        if case is not None and may(user, "case.see", case):
            found = _found_case(case, user, language)
            person = _person(case.reporter, user, language) if see_contact and case.reporter else None
            if person is not None:
                result.people.append(person)
            else:
                result.cases.append(found)
        return result

    people_ids: list[int] = []
    if see_contact:
        term = f"%{text}%"
        conditions = [Reporter.name.ilike(term), Reporter.email.ilike(term)]
        digits = phone_digits(text)
        if PHONE_CHARACTERS.match(text) and len(digits) >= MIN_PHONE_DIGITS:
            conditions.append(_digits_of_column(Reporter.phone).like(f"%{digits}%"))
        query = select(Reporter.id).where(or_(*conditions))
        if scope(user, "case.see_contact") != ALL:  # only people with a case the user may see the contact data of
            query = query.where(Reporter.id.in_(_scoped(select(Case.reporter_id), user, "case.see_contact")))
        people_ids = list(db.session.scalars(query.order_by(Reporter.id.desc()).limit(limit)))

    # Cases by address or a part of their reference (and the people who reported them)
    term = f"%{text}%"
    by_address = list(db.session.scalars(_scoped(_case_query().where(or_(Case.address.ilike(term),
                                                                         Case.reference.ilike(term))),
                                                  user, "case.see")
                                         .order_by(Case.id.desc()).limit(limit * 3)).unique())
    loose: list[Case] = []
    for case in by_address:
        if not may(user, "case.see", case):
            continue
        if (see_contact and case.reporter_id is not None and may(user, "case.see_contact", case)
                and case.reporter_id not in people_ids):
            if len(people_ids) < limit:
                people_ids.append(case.reporter_id)
                continue
        if case.reporter_id is None or case.reporter_id not in people_ids:
            loose.append(case)

    order = {rid: i for i, rid in enumerate(people_ids)}
    shown: set[int] = set()
    for reporter in sorted(db.session.scalars(select(Reporter).where(Reporter.id.in_(people_ids))),
                           key=lambda r: order[r.id]):
        if reporter.id in shown:  # linked to a citizen shown already: one citizen, one history
            continue
        person = _person(reporter, user, language, with_candidates=len(result.people) < CANDIDATES_FOR)
        if person is not None:
            result.people.append(person)
            shown |= {person.id} | {row.id for row in person.linked}
    result.cases = [_found_case(c, user, language) for c in loose[:limit]]
    return result


def _visible_cases(reporter_ids: set[int], user: User) -> list[Case]:
    return [c for c in db.session.scalars(_scoped(_case_query().where(Case.reporter_id.in_(reporter_ids)), user,
                                                  "case.see").order_by(Case.id.desc())
                                          .limit(CASES_PER_PERSON * 3)).unique()
            if may(user, "case.see", c)]


def _may_see_person(cases: list[Case], user: User) -> bool:
    return scope(user, "case.see_contact") == ALL or any(may(user, "case.see_contact", c) for c in cases)


def _row(reporter: Reporter) -> OtherRow:
    return OtherRow(id=reporter.id, label=" · ".join(p for p in (reporter.name, reporter.email, reporter.phone) if p))


def _person(reporter: Reporter, user: User, language: str, with_candidates: bool = True) -> Optional[FoundPerson]:
    """The reporter with their latest cases the user may see (theirs and those of the rows staff linked to them);
    None when the user may see the contact data of none of them (then the person is not shown at all)."""
    linked_ids = linked_reporter_ids(reporter.id)
    cases = _visible_cases(linked_ids, user)
    if not _may_see_person(cases, user):
        return None
    person = FoundPerson(id=reporter.id, name=reporter.name, email=reporter.email, phone=reporter.phone,
                         cases=[_found_case(c, user, language) for c in cases[:CASES_PER_PERSON]])
    others = linked_ids - {reporter.id}
    if others:
        person.linked = [_row(r) for r in db.session.scalars(select(Reporter).where(Reporter.id.in_(others))
                                                             .order_by(Reporter.id))]
    if with_candidates:
        person.candidates = [_row(r) for r in link_candidates(reporter, limit=5)
                             if _may_see_person(_visible_cases({r.id}, user), user)]
    return person


def person_by_id(reporter_id: int, user: User, language: Optional[str] = None, with_candidates: bool = True
                 ) -> Optional[FoundPerson]:
    """The citizen chosen on the contact page (by the id in its address or form), as the search would show them;
    None when there is no such reporter or the user may not see their contact data."""
    if scope(user, "case.see_contact") == NO or not user.active:
        return None
    reporter = db.session.get(Reporter, reporter_id)
    if reporter is None:
        return None
    return _person(reporter, user, language or getattr(user, "language", None) or "nl", with_candidates)
