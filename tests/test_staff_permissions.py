"""Who may do what: every role against every staff URL (and the staff API), own group against other group.

The URLs come from `app.url_map`, so a new staff page is covered as soon as it exists: a URL under
/werk/beheer/ is admin-only by policy; any other new /werk URL makes `test_every_staff_url_is_classified`
fail until it is added to TABLE with what each role may do there.

One scenario per test (see `world`): case A dispatched to onderhoud-openbaar-domein ("ood") with an open
`take_in_handling` item and a file, case B still in triage at the meldkamer, and case C dispatched to
openbare-netheid ("netheid") with a file; A and C come from the same reporter. "eigen" personas are members
of ood (A's group), "ander" personas of netheid (C's group).

Each persona test walks all URLs and collects every mismatch before failing, so one run shows the whole
picture; every message says persona (role), method, URL, expected and actual.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from engine.db import db
from engine.models import Case, CaseEvent, WorkItem
from handlers.contact_models import ContactTopic
from handlers.files import store_file
from handlers.groups import group_by_key
from handlers.models import MELDKAMER, Category, HandlerGroup, RoutingRule, User
from handlers.ready_answers import ReadyAnswer

from .helpers import Browser, Staff
from .images import png

OOD = "onderhoud-openbaar-domein"
NETHEID = "openbare-netheid"
PASSWORD = "correct-horse-battery"
LOGIN_PATH = "/werk/aanmelden"
EMAIL_A = "els.melder@voorbeeld.example"  # reporter of case A and case C
EMAIL_B = "bram.melder@voorbeeld.example"  # reporter of case B (in triage)
PNG = png()  # a real image: stored re-encoded, which for a plain Pillow PNG gives the same bytes

# persona -> (role, group the persona is a member of)
PERSONAS: dict[str, tuple[str, Optional[str]]] = {
    "admin": ("admin", None),
    "meldkamer": ("meldkamer", None),
    "behandelaar-eigen": ("behandelaar", OOD),
    "behandelaar-ander": ("behandelaar", NETHEID),
    "groepsverantwoordelijke-eigen": ("groepsverantwoordelijke", OOD),
    "groepsverantwoordelijke-ander": ("groepsverantwoordelijke", NETHEID),
    "onthaal": ("onthaal", None),
    "rapportage": ("rapportage", None),
}
ALL = frozenset(PERSONAS)

# The rules, as sets of personas. Where the written rules are silent, the choice is noted.
DESK = frozenset({"admin", "meldkamer"})  # meldkamer pages; acting for the meldkamer group (B's triage)
READ_ALL = frozenset({"admin", "meldkamer", "onthaal", "rapportage"})  # every case page
OWN = frozenset({"behandelaar-eigen", "groepsverantwoordelijke-eigen"})  # members of A's group (ood)
OTHER = frozenset({"behandelaar-ander", "groepsverantwoordelijke-ander"})  # members of C's group (netheid)
# A case in triage has no handling group yet: handlers see it once it is dispatched to them.
SEES_A, SEES_B, SEES_C = READ_ALL | OWN, READ_ALL, READ_ALL | OTHER
# Every group's queue, read-only. Onthaal (front desk) answers callers about one case and needs no queue;
# rapportage reads every queue, the meldkamer group's too (/werk/wachtrij/meldkamer), but not the dispatch
# workspace /werk/meldkamer, which is a meldkamer page.
QUEUE_READERS = frozenset({"admin", "meldkamer", "rapportage"})
# Take, take over, complete, hand over A's work: the group itself and the admin. The meldkamer reads other
# groups' work but does not do it (it can send a case back through the group, or an admin can step in).
ACTS_A = frozenset({"admin"}) | OWN
ACTS_B = DESK
# Correcting A's location, category or description: the meldkamer, A's group and the admin.
CORRECTS_A = DESK | OWN
# Giving A's work to a colleague: the group's lead (a behandelaar may only put work on their own name).
ASSIGNS_A = frozenset({"admin", "groepsverantwoordelijke-eigen"})
CONTACT_ROLES = frozenset({"admin", "meldkamer", "onthaal"})  # plus the handling group
FIRST_LINE = frozenset({"admin", "meldkamer", "onthaal"})  # /werk/contact: phone and counter (contact.register)
REPORT_READERS = frozenset({"admin", "meldkamer", "rapportage", "groepsverantwoordelijke-eigen",
                            "groepsverantwoordelijke-ander"})
CONTACT_A, CONTACT_B, CONTACT_C = CONTACT_ROLES | OWN, CONTACT_ROLES, CONTACT_ROLES | OTHER

# What a response must be.
OK, FORBIDDEN, NOT_FOUND = "200", "403", "404"
LOGIN, REDIRECT = "302 to login", "302 (not to login)"
ADMITTED = "let in (not 401/403/login, not 5xx)"


def where(allowed: frozenset, yes: str = OK, no: str = FORBIDDEN) -> dict[str, str]:
    return {p: (yes if p in allowed else no) for p in PERSONAS}


@dataclass(frozen=True)
class Target:
    """One request on one staff URL rule, with what each persona must get."""

    label: str
    method: str
    rule: str  # the url_map rule this covers
    url: str  # str.format()ted with World.values
    expect: Optional[dict[str, str]]  # None: classified, but exercised elsewhere (see label)
    data: tuple = ()  # form fields, formatted like the url
    case: Optional[str] = None  # "A", "B" or "C": the case a POST acts on


TABLE: list[Target] = [
    # -- any logged-in user ---------------------------------------------------------------------------------
    Target("start page sends each role to its work", "GET", "/werk/", "/werk/",
           {**where(ALL, REDIRECT), "onthaal": OK, "rapportage": OK}),
    Target("login form", "GET", LOGIN_PATH, LOGIN_PATH, where(ALL, OK)),
    Target("login submit: exercised by every Browser login in this suite", "POST", LOGIN_PATH, LOGIN_PATH, None),
    # -- meldkamer pages --------------------------------------------------------------------------------------
    Target("meldkamer queue", "GET", "/werk/meldkamer", "/werk/meldkamer", where(DESK)),
    Target("contractor orders", "GET", "/werk/meldkamer/aannemers", "/werk/meldkamer/aannemers", where(DESK)),
    Target("meldkamer group as a group queue", "GET", "/werk/wachtrij/<key>", f"/werk/wachtrij/{MELDKAMER}",
           where(QUEUE_READERS)),
    Target("meldkamer map markers", "GET", "/werk/meldkamer/kaart.json", "/werk/meldkamer/kaart.json", where(DESK)),
    # -- group queues -----------------------------------------------------------------------------------------
    Target("ood queue (A's group)", "GET", "/werk/wachtrij/<key>", f"/werk/wachtrij/{OOD}",
           where(QUEUE_READERS | OWN)),
    Target("netheid queue (C's group)", "GET", "/werk/wachtrij/<key>", f"/werk/wachtrij/{NETHEID}",
           where(QUEUE_READERS | OTHER)),
    Target("ood map markers (A's group)", "GET", "/werk/wachtrij/<key>/kaart.json", f"/werk/wachtrij/{OOD}/kaart.json",
           where(QUEUE_READERS | OWN)),
    Target("netheid map markers (C's group)", "GET", "/werk/wachtrij/<key>/kaart.json",
           f"/werk/wachtrij/{NETHEID}/kaart.json", where(QUEUE_READERS | OTHER)),
    # -- case pages and files ---------------------------------------------------------------------------------
    Target("case A (ood)", "GET", "/werk/dossier/<reference>", "/werk/dossier/{a}", where(SEES_A)),
    Target("case B (in triage)", "GET", "/werk/dossier/<reference>", "/werk/dossier/{b}", where(SEES_B)),
    Target("case C (netheid)", "GET", "/werk/dossier/<reference>", "/werk/dossier/{c}", where(SEES_C)),
    # Case files are the reporter's data: the reporting role reads cases but opens none of their files (the
    # table over every kind of file is tests/test_rapportage_privacy.py).
    Target("file of case A", "GET", "/werk/dossier/<reference>/bestand/<int:file_id>",
           "/werk/dossier/{a}/bestand/{a_file}", where(SEES_A - {"rapportage"})),
    Target("file of case C", "GET", "/werk/dossier/<reference>/bestand/<int:file_id>",
           "/werk/dossier/{c}/bestand/{c_file}", where(SEES_C - {"rapportage"})),
    Target("file of case A through the URL of case C", "GET", "/werk/dossier/<reference>/bestand/<int:file_id>",
           "/werk/dossier/{c}/bestand/{a_file}", where(SEES_C - {"rapportage"}, NOT_FOUND)),
    # -- administration ---------------------------------------------------------------------------------------
    Target("users", "GET", "/werk/beheer/gebruikers", "/werk/beheer/gebruikers", where(frozenset({"admin"}))),
    Target("one user", "GET", "/werk/beheer/gebruikers/<int:user_id>", "/werk/beheer/gebruikers/{user_id}",
           where(frozenset({"admin"}))),
    Target("groups", "GET", "/werk/beheer/groepen", "/werk/beheer/groepen", where(frozenset({"admin"}))),
    Target("administration log", "GET", "/werk/beheer/wijzigingen", "/werk/beheer/wijzigingen",
           where(frozenset({"admin"}))),
    Target("process editor (melding)", "GET", "/werk/beheer/processen/<key>/bewerken",
           "/werk/beheer/processen/melding/bewerken", where(frozenset({"admin"}))),
    # Process models: the page, a version with its diagram, its XML; checking answers JSON, an empty deploy
    # comes back with its problem (422), choosing the version in use (v1, already in use) redirects.
    Target("process models", "GET", "/werk/beheer/processen", "/werk/beheer/processen", where(frozenset({"admin"}))),
    Target("one process version", "GET", "/werk/beheer/processen/<key>/versies/<int:number>",
           "/werk/beheer/processen/melding/versies/1", where(frozenset({"admin"}))),
    Target("a process version's XML", "GET", "/werk/beheer/processen/<key>/versies/<int:number>.bpmn",
           "/werk/beheer/processen/melding/versies/1.bpmn", where(frozenset({"admin"}))),
    Target("check a process model (empty)", "POST", "/werk/beheer/processen/<key>/controleren",
           "/werk/beheer/processen/melding/controleren", where(frozenset({"admin"}))),
    Target("deploy a process model (empty)", "POST", "/werk/beheer/processen/<key>/in-gebruik-nemen",
           "/werk/beheer/processen/melding/in-gebruik-nemen", where(frozenset({"admin"}), ADMITTED)),
    Target("activate a process version", "POST", "/werk/beheer/processen/<key>/versies/<int:number>/activeren",
           "/werk/beheer/processen/melding/versies/1/activeren", where(frozenset({"admin"}), REDIRECT)),
    Target("one group", "GET", "/werk/beheer/groepen/<int:group_id>", "/werk/beheer/groepen/{group_id}",
           where(frozenset({"admin"}))),
    Target("outbox", "GET", "/werk/beheer/uitgaand", "/werk/beheer/uitgaand", where(frozenset({"admin"}))),
    Target("move cases to another process version", "GET", "/werk/beheer/processen/<key>/verplaatsen",
           "/werk/beheer/processen/melding/verplaatsen", where(frozenset({"admin"}))),
    Target("move cases to another process version (empty form)", "POST", "/werk/beheer/processen/<key>/verplaatsen",
           "/werk/beheer/processen/melding/verplaatsen", where(frozenset({"admin"}), ADMITTED)),
    Target("mail texts", "GET", "/werk/beheer/mailteksten", "/werk/beheer/mailteksten", where(frozenset({"admin"}))),
    Target("one mail text", "GET", "/werk/beheer/mailteksten/<template>", "/werk/beheer/mailteksten/in_behandeling",
           where(frozenset({"admin"}))),
    Target("save a mail text (empty form)", "POST", "/werk/beheer/mailteksten/<template>",
           "/werk/beheer/mailteksten/in_behandeling", where(frozenset({"admin"}), ADMITTED)),
    # An empty form: the admin gets the form back with errors (422), nobody else gets in.
    Target("create user (empty form)", "POST", "/werk/beheer/gebruikers", "/werk/beheer/gebruikers",
           where(frozenset({"admin"}), ADMITTED)),
    Target("edit user (empty form)", "POST", "/werk/beheer/gebruikers/<int:user_id>",
           "/werk/beheer/gebruikers/{user_id}", where(frozenset({"admin"}), ADMITTED)),
    Target("create group (empty form)", "POST", "/werk/beheer/groepen", "/werk/beheer/groepen",
           where(frozenset({"admin"}), ADMITTED)),
    Target("edit group (empty form)", "POST", "/werk/beheer/groepen/<int:group_id>",
           "/werk/beheer/groepen/{group_id}", where(frozenset({"admin"}), ADMITTED)),
    # -- acting on work (in this order: the allowed ones change the case) ------------------------------------
    Target("take A's take_in_handling", "POST", "/werk/taak/<int:item_id>/opnemen", "/werk/taak/{a_take}/opnemen",
           where(ACTS_A, REDIRECT), case="A"),
    Target("take over A's take_in_handling", "POST", "/werk/taak/<int:item_id>/overnemen",
           "/werk/taak/{a_take}/overnemen", where(ACTS_A, REDIRECT), data=(("note", "ziek"),), case="A"),
    Target("assign A's take_in_handling to the ood lead", "POST", "/werk/taak/<int:item_id>/toewijzen",
           "/werk/taak/{a_take}/toewijzen", where(ASSIGNS_A, REDIRECT), data=(("assignee", "{ood_lead_id}"),),
           case="A"),
    Target("take B's triage", "POST", "/werk/taak/<int:item_id>/opnemen", "/werk/taak/{b_triage}/opnemen",
           where(ACTS_B, REDIRECT), case="B"),
    Target("assign B's triage to the meldkamer user", "POST", "/werk/taak/<int:item_id>/toewijzen",
           "/werk/taak/{b_triage}/toewijzen", where(ACTS_B, REDIRECT), data=(("assignee", "{desk_id}"),),
           case="B"),
    Target("complete A's item through the URL of case C", "POST", "/werk/dossier/<reference>/taak/<int:item_id>",
           "/werk/dossier/{c}/taak/{a_take}", where(SEES_C, NOT_FOUND), case="A"),
    Target("complete B's triage (dispatch)", "POST", "/werk/dossier/<reference>/taak/<int:item_id>",
           "/werk/dossier/{b}/taak/{b_triage}", where(ACTS_B, REDIRECT),
           data=(("decision", "dispatch"), ("group", OOD)), case="B"),
    Target("complete A's take_in_handling", "POST", "/werk/dossier/<reference>/taak/<int:item_id>",
           "/werk/dossier/{a}/taak/{a_take}", where(ACTS_A, REDIRECT), case="A"),
    # What the city publishes about A (Open311 feed, tracking page): decided by those who may handle A.
    Target("publish A's photo", "POST", "/werk/dossier/<reference>/bestand/<int:file_id>/publiek",
           "/werk/dossier/{a}/bestand/{a_file}/publiek", where(ACTS_A, REDIRECT), data=(("publiek", "1"),),
           case="A"),
    Target("write A's public description", "POST", "/werk/dossier/<reference>/publieke-omschrijving",
           "/werk/dossier/{a}/publieke-omschrijving", where(ACTS_A, REDIRECT),
           data=(("public_description", "Straatlamp defect"),), case="A"),
    Target("correct A's description", "POST", "/werk/dossier/<reference>/corrigeren", "/werk/dossier/{a}/corrigeren",
           where(CORRECTS_A, REDIRECT), data=(("description", "Straatlamp aan paal 12 brandt al dagen niet"),),
           case="A"),
    Target("hand A over to fietsteam", "POST", "/werk/dossier/<reference>/overdragen", "/werk/dossier/{a}/overdragen",
           where(ACTS_A, REDIRECT), data=(("group", "fietsteam"), ("note", "Hoort bij het fietsteam")), case="A"),
    Target("move A to another version of its process (admin only)", "POST", "/werk/dossier/<reference>/versie",
           "/werk/dossier/{a}/versie", where(frozenset({"admin"}), REDIRECT), data=(("naar", "1"),), case="A"),
    # -- reports: the dashboard and its exports for the reporting role, the desk, the admin and group leads;
    # the quarterly report (all groups) not for leads; mailing a report now: not the read-only role, and a
    # lead only for their own group ---------------------------------------------------------------------------
    *[Target(f"reports {url}", "GET", url, url, where(REPORT_READERS))
      for url in ("/werk/rapporten", "/werk/rapporten/dossiers.csv", "/werk/rapporten/dossiers.xlsx",
                  "/werk/rapporten/cijfers.csv", "/werk/rapporten/cijfers.xlsx")],
    Target("quarterly report", "GET", "/werk/rapporten/kwartaalrapport",
           "/werk/rapporten/kwartaalrapport?kwartaal=2026Q3", where(frozenset({"admin", "meldkamer", "rapportage"}))),
    Target("mail ood's report now", "POST", "/werk/rapporten/versturen", "/werk/rapporten/versturen",
           where(frozenset({"admin", "meldkamer", "groepsverantwoordelijke-eigen"}), REDIRECT),
           data=(("groep", OOD), ("van", "2026-11-02"), ("tot", "2026-11-15"))),
    # -- incoming post: the postkamer (role onthaal) and the admin register letters; an empty form comes back
    # with its errors (422) ------------------------------------------------------------------------------------
    Target("post registration form", "GET", "/werk/post/nieuw", "/werk/post/nieuw",
           where(frozenset({"admin", "onthaal"}))),
    Target("register post (empty form)", "POST", "/werk/post/nieuw", "/werk/post/nieuw",
           where(frozenset({"admin", "onthaal"}), ADMITTED)),
    Target("group suggested for a letter's subject", "GET", "/werk/post/voorstel",
           "/werk/post/voorstel?onderwerp=fietspad", where(frozenset({"admin", "onthaal"}))),
    # -- the first line's contact page: the front desk, the meldkamer and the admin; an empty form comes back
    # with its errors (422); the search answers JSON ----------------------------------------------------------
    Target("contact page", "GET", "/werk/contact", "/werk/contact?q=els", where(FIRST_LINE)),
    Target("register a contact (empty form)", "POST", "/werk/contact", "/werk/contact",
           where(FIRST_LINE, ADMITTED)),
    Target("search the caller as you type", "GET", "/werk/contact/zoeken", "/werk/contact/zoeken?q=els",
           where(FIRST_LINE)),
    Target("link two citizens (empty form: refused with a message)", "POST", "/werk/contact/koppelen",
           "/werk/contact/koppelen", where(FIRST_LINE, REDIRECT)),
    # -- session ----------------------------------------------------------------------------------------------
    Target("switch language", "POST", "/werk/taal/<lang>", "/werk/taal/nl", where(ALL, REDIRECT)),
    Target("log out (last: ends the session)", "POST", "/werk/afmelden", "/werk/afmelden", where(ALL, LOGIN)),
]

ADMIN_PREFIX = "/werk/beheer/"  # policy: everything under it is for the admin only
# Anonymous visitors may use the login page, and the language switch: it only sets a `lang` cookie (its docstring:
# "or in a cookie for the public pages"), opens no page and reveals nothing.
ANONYMOUS_ALLOWED = {(LOGIN_PATH, "GET"): OK, (LOGIN_PATH, "POST"): None, ("/werk/taal/<lang>", "POST"): REDIRECT}
# Values for URL arguments of rules found in url_map (World.values keys).
ARG_VALUES = {"reference": "a", "item_id": "a_take", "file_id": "a_file", "key": "ood", "user_id": "user_id",
              "group_id": "group_id", "lang": "lang", "rule_id": "rule_id", "routing_rule_id": "rule_id",
              "version": "version", "category_id": "category_id", "answer_id": "answer_id", "topic_id": "topic_id",
              "template": "mail_template", "number": "number"}


STAFF_BLUEPRINTS = ("staff", "auth")


def staff_rules(app) -> list[tuple[str, str]]:
    """(rule, method) of every staff URL: under /werk or of a staff blueprint (HEAD/OPTIONS follow from GET)."""
    return sorted({(r.rule, m) for r in app.url_map.iter_rules()
                   if r.rule.startswith("/werk") or r.endpoint.split(".")[0] in STAFF_BLUEPRINTS
                   for m in r.methods - {"HEAD", "OPTIONS"}})


def url_for_rule(rule: str, values: dict) -> str:
    """Fill a url_map rule like /werk/dossier/<reference>/taak/<int:item_id> from the scenario."""

    def fill(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        if name not in ARG_VALUES:
            pytest.fail(f"{rule}: no scenario value for <{name}>; add one to ARG_VALUES in {__name__}")
        return str(values[ARG_VALUES[name]])

    return re.sub(r"<([^>]+)>", fill, rule)


def admin_only_targets(app) -> list[Target]:
    """Targets for URLs under /werk/beheer/ that TABLE does not list (new admin pages, e.g. routing rules)."""
    listed = {(t.rule, t.method) for t in TABLE}
    return [Target(f"admin page found in url_map: {method} {rule}", method, rule, "",
                   where(frozenset({"admin"}), OK if method == "GET" else ADMITTED))
            for rule, method in staff_rules(app) if rule.startswith(ADMIN_PREFIX) and (rule, method) not in listed]


# -- the scenario ---------------------------------------------------------------------------------------------


@dataclass
class World:
    """Plain values only: the test's own session never stays in a transaction while the app handles requests
    (on PostgreSQL an idle transaction holding table locks can wedge behind another run's TRUNCATE)."""

    staff: Staff
    usernames: dict[str, str]  # persona -> username
    user_ids: dict[str, int]  # persona -> user id
    tokens: dict[str, str]  # persona -> API token
    values: dict = field(default_factory=dict)

    @staticmethod
    def read(query):
        """Run a read in the test's session and end its transaction at once."""
        try:
            return query()
        finally:
            db.session.rollback()

    def item_state(self, item_id: int) -> tuple[str, Optional[int]]:
        """(status, assignee id) of a work item."""
        return self.read(lambda: tuple(db.session.execute(
            select(WorkItem.status, WorkItem.assignee_id).where(WorkItem.id == item_id)).one()))

    def case_group(self, key: str) -> Optional[str]:
        """The key of the group handling case `key` ("a", "b" or "c")."""
        return self.read(lambda: db.session.scalar(
            select(HandlerGroup.key).join(Case, Case.group_id == HandlerGroup.id)
            .where(Case.reference == self.values[key])))

    def last_event_id(self) -> int:
        return self.read(lambda: db.session.scalar(select(func.max(CaseEvent.id))) or 0)

    def events_by(self, key: str, persona: str, after: int) -> list[str]:
        """Kinds of the events on case `key` by the persona's user since event id `after`."""
        return self.read(lambda: list(db.session.scalars(
            select(CaseEvent.kind).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.reference == self.values[key], CaseEvent.user_id == self.user_ids[persona],
                   CaseEvent.id > after))))

    def update_user(self, persona: str, change) -> None:
        """Change the persona's user in the test's session and commit."""
        change(db.session.get(User, self.user_ids[persona]))
        db.session.commit()


_HASH: dict[str, str] = {}


def password_hash() -> str:
    """One salted hash for every persona (hashing is slow on purpose; once per run is enough)."""
    if "h" not in _HASH:
        _HASH["h"] = generate_password_hash(PASSWORD)
    return _HASH["h"]


@pytest.fixture
def world(app, staff) -> World:
    """The scenario: cases A (ood), B (triage), C (netheid), a file on A and C, a user per persona."""
    desk = staff.meldkamer
    a = desk.file_melding("Straatlamp brandt niet", category="straatlamp-defect", email=EMAIL_A)["reference"]
    desk.complete(a, "triage", {"decision": "dispatch", "group": OOD})
    b = desk.file_melding("Losse tegel in het voetpad", category="voetpad-losse-tegel", email=EMAIL_B)["reference"]
    c = desk.file_melding("Sluikstort aan de glasbol", category="sluikstort", email=EMAIL_A)["reference"]
    desk.complete(c, "triage", {"decision": "dispatch", "group": NETHEID})

    users = {"admin": staff.admin.user, "meldkamer": staff.meldkamer.user, "behandelaar-eigen": staff.ood.user,
             "groepsverantwoordelijke-eigen": staff.ood_lead.user, "behandelaar-ander": staff.netheid.user}
    tokens = {"admin": staff.admin.token, "meldkamer": staff.meldkamer.token, "behandelaar-eigen": staff.ood.token,
              "groepsverantwoordelijke-eigen": staff.ood_lead.token, "behandelaar-ander": staff.netheid.token}
    for persona, username in [("groepsverantwoordelijke-ander", "egon"), ("onthaal", "olga"), ("rapportage", "rita")]:
        role, group = PERSONAS[persona]
        user = User(username=username, display_name=username.title(), role=role, email=f"{username}@stad.example")
        if group:
            user.groups.append(group_by_key(group))
        db.session.add(user)
        tokens[persona] = user.issue_api_token()
        users[persona] = user
    for persona, user in users.items():
        role, group = PERSONAS[persona]
        assert user.role == role and ({g.key for g in user.groups} == ({group} if group else set())), persona
        user.password_hash = password_hash()

    cases = {k: db.session.scalar(select(Case).where(Case.reference == ref)) for k, ref in (("a", a), ("b", b),
                                                                                           ("c", c))}
    a_file = store_file(cases["a"], PNG, "lamp.png", source="medewerker", uploaded_by="test")
    c_file = store_file(cases["c"], PNG, "glasbol.png", source="medewerker", uploaded_by="test")
    ood = group_by_key(OOD)
    rule = RoutingRule(name="Testregel", position=10, group_id=ood.id, keywords="lamp")
    db.session.add(rule)
    answer = ReadyAnswer(title="Bedankt", text_nl="Bedankt voor uw melding.", forms="close")
    db.session.add(answer)
    db.session.commit()

    def open_item(case: Case, task: str) -> int:
        ids = db.session.scalars(select(WorkItem.id).where(WorkItem.case_id == case.id, WorkItem.status == "open",
                                                           WorkItem.task_name == task)).all()
        assert len(ids) == 1, f"{case.reference}: expected one open {task}, found {ids}"
        return ids[0]

    assert cases["a"].group.key == OOD and cases["c"].group.key == NETHEID and cases["b"].group is None
    values = {"a": a, "b": b, "c": c, "a_take": open_item(cases["a"], "take_in_handling"),
              "c_take": open_item(cases["c"], "take_in_handling"), "b_triage": open_item(cases["b"], "triage"),
              "a_file": a_file.id, "c_file": c_file.id, "ood": OOD, "user_id": staff.ood.user.id, "number": 1,
              "mail_template": "in_behandeling",
              "group_id": ood.id, "lang": "nl", "version": 1, "rule_id": rule.id, "ood_lead_id": staff.ood_lead.user.id,
              "desk_id": staff.meldkamer.user.id, "answer_id": answer.id,
              "category_id": db.session.scalar(select(Category.id).where(Category.key == "sluikstort")),
              "topic_id": db.session.scalar(select(ContactTopic.id).where(ContactTopic.key == "afval"))}
    world = World(staff=staff, usernames={p: u.username for p, u in users.items()},
                  user_ids={p: u.id for p, u in users.items()}, tokens=tokens, values=values)
    db.session.rollback()  # end the read transaction before any test sends requests
    return world


class Session(Browser):
    """A logged-in persona; posts forms with the session's CSRF token (or without one, on purpose)."""

    def __init__(self, app, world: World, persona: str) -> None:
        super().__init__(app, world.usernames[persona], PASSWORD)
        self.persona = persona
        self.csrf = self.token(self.get(LOGIN_PATH))

    def send(self, method: str, url: str, data: Optional[dict] = None, csrf: bool = True):
        if method == "GET":
            response = self.get(url)
        else:
            form = {**(data or {}), **({"csrf_token": self.csrf} if csrf else {})}
            response = self._call(self.client.post, url, data=form)
        response.get_data()  # read a streamed file before closing it
        response.close()
        return response


def anonymous_token(app, client) -> str:
    """A valid CSRF token for a visitor who is not logged in (so a refusal is the login check, not CSRF)."""
    with app.app_context():
        page = client.get(LOGIN_PATH)
    return Browser.token(page)


def describe(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def meets(kind: str, response) -> bool:
    status = response.status_code
    to_login = status in (301, 302, 303) and urlsplit(response.headers.get("Location", "")).path == LOGIN_PATH
    return {OK: status == 200, FORBIDDEN: status == 403, NOT_FOUND: status == 404, LOGIN: to_login,
            REDIRECT: status in (302, 303) and not to_login,
            ADMITTED: status < 500 and status not in (401, 403) and not to_login}[kind]


def who(persona: str) -> str:
    role, group = PERSONAS[persona]
    return f"{persona} (role {role}{', group ' + group if group else ''})"


def api(app, token: str, method: str, url: str, body=None):
    """One API call with a bearer token, in its own app context (and so its own database session)."""
    with app.app_context():
        return app.test_client().open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def fill(template: str, values: dict) -> str:
    return template.format(**values)


# -- the tests --------------------------------------------------------------------------------------------------


def test_every_staff_url_is_classified(app):
    """A new /werk URL fails here until TABLE says what each role may do there (/werk/beheer/ is admin-only)."""
    listed = {(t.rule, t.method) for t in TABLE}
    rules = staff_rules(app)
    unclassified = [f"{method} {rule}" for rule, method in rules
                    if (rule, method) not in listed and not rule.startswith(ADMIN_PREFIX)]
    assert not unclassified, ("staff URLs nobody classified; add them to TABLE with the expected result per role: "
                              + ", ".join(unclassified))
    stale = sorted({f"{t.method} {t.rule}" for t in TABLE} - {f"{m} {r}" for r, m in rules})
    assert not stale, f"TABLE lists URLs that no longer exist: {stale}"
    for target in TABLE:
        if target.expect is not None:
            assert set(target.expect) == set(PERSONAS), f"{target.label}: expectation for every persona"


def test_not_logged_in_every_staff_url_redirects_to_login(app, world):
    """Every /werk URL in url_map, GET and POST (with a valid CSRF token), without logging in."""
    client = app.test_client()
    failures, checked = [], 0
    for rule, method in staff_rules(app):
        url = url_for_rule(rule, world.values)
        expected = ANONYMOUS_ALLOWED.get((rule, method), LOGIN)
        if expected is None:
            continue
        with app.app_context():
            response = (client.get(url) if method == "GET"
                        else client.post(url, data={"csrf_token": anonymous_token(app, client)}))
        response.close()
        checked += 1
        if not meets(expected, response):
            failures.append(f"not logged in: {method} {url}: expected {expected}, got {describe(response)}")
        if expected == REDIRECT and meets(REDIRECT, response):  # the language switch must not open a page
            with app.app_context():
                home = client.get("/werk/")
            if not meets(LOGIN, home):
                failures.append(f"not logged in: GET /werk/ after {url}: expected {LOGIN}, got {describe(home)}")
    assert checked == len([r for r in staff_rules(app) if ANONYMOUS_ALLOWED.get(r, LOGIN) is not None])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_role_gets_what_it_may_on_every_staff_url(app, world, persona):
    """Each role × each staff URL: GET pages first, then the POSTs in TABLE order (allowed ones change state)."""
    session = Session(app, world, persona)
    first_new_event = world.last_event_id()
    failures = []
    targets = [t for t in TABLE if t.expect is not None] + admin_only_targets(app)
    gets = [t for t in targets if t.method == "GET"]
    posts = [t for t in targets if t.method == "POST" and t.rule != "/werk/afmelden"]
    last = [t for t in targets if t.rule == "/werk/afmelden"]
    for target in gets + posts + last:
        url = fill(target.url, world.values) if target.url else url_for_rule(target.rule, world.values)
        data = {k: fill(v, world.values) for k, v in target.data}
        response = session.send(target.method, url, data)
        expected = target.expect[persona]
        if not meets(expected, response):
            failures.append(f"{who(persona)}: {target.method} {url} [{target.label}]: expected {expected}, "
                            f"got {describe(response)}")
        if target.method == "GET" and "/bestand/" in url and response.status_code == 200 \
                and response.get_data() != PNG:
            failures.append(f"{who(persona)}: GET {url}: 200 but not the stored file")
    after_logout = session.get("/werk/")
    if not meets(LOGIN, after_logout):
        failures.append(f"{who(persona)}: GET /werk/ after logging out: expected {LOGIN}, got "
                        f"{describe(after_logout)}")

    # A refused action leaves no trace: no event by this user on a case it may not act on, nothing assigned.
    for key in ("A", "B", "C"):
        allowed = any(t.case == key and t.expect[persona] == REDIRECT for t in TABLE if t.expect)
        if allowed:
            continue
        events = world.events_by(key.lower(), persona, first_new_event)
        if events:
            failures.append(f"{who(persona)}: refused actions still left events on case {key}: {events}")
    if not any(t.case == "A" and t.expect[persona] == REDIRECT for t in TABLE if t.expect):
        state = world.item_state(world.values["a_take"])
        if state != ("open", None):
            failures.append(f"{who(persona)}: A's take_in_handling changed after refused actions: "
                            f"(status, assignee) = {state}")
        if world.case_group("a") != OOD:
            failures.append(f"{who(persona)}: case A moved to {world.case_group('a')} after refused actions")
    assert not failures, "\n".join(failures)


def test_allowed_actions_had_their_effect(app, world):
    """The matrix counts a 302 as success; check once that it really was (so 302 is not a silent refusal)."""
    lead = Session(app, world, "groepsverantwoordelijke-eigen")
    desk = Session(app, world, "meldkamer")
    v, ids = world.values, world.user_ids
    lead.send("POST", f"/werk/taak/{v['a_take']}/opnemen")
    assert world.item_state(v["a_take"]) == ("open", ids["groepsverantwoordelijke-eigen"])
    lead.send("POST", f"/werk/taak/{v['a_take']}/toewijzen", {"assignee": str(ids["behandelaar-eigen"])})
    assert world.item_state(v["a_take"]) == ("open", ids["behandelaar-eigen"])
    lead.send("POST", f"/werk/dossier/{v['a']}/taak/{v['a_take']}")
    assert world.item_state(v["a_take"])[0] == "completed"
    desk.send("POST", f"/werk/dossier/{v['b']}/taak/{v['b_triage']}", {"decision": "dispatch", "group": OOD})
    assert world.item_state(v["b_triage"])[0] == "completed" and world.case_group("b") == OOD
    lead.send("POST", f"/werk/dossier/{v['a']}/overdragen", {"group": "fietsteam", "note": "Fietspad"})
    assert world.case_group("a") == "fietsteam"


def test_reporter_contact_data_only_for_roles_that_need_it(app, world):
    """The reporter's e-mail address (and their other cases) only for admin, meldkamer, onthaal and the handling
    group; the case page otherwise says the contact data is hidden. Read-only viewers get no action forms."""
    failures = []
    for persona in PERSONAS:
        session = Session(app, world, persona)
        for key, email, sees, contact, other in [("a", EMAIL_A, SEES_A, CONTACT_A, "c"),
                                                 ("b", EMAIL_B, SEES_B, CONTACT_B, None),
                                                 ("c", EMAIL_A, SEES_C, CONTACT_C, "a")]:
            url = f"/werk/dossier/{world.values[key]}"
            response = session.get(url)
            html = response.get_data(as_text=True)
            if response.status_code != (200 if persona in sees else 403):
                failures.append(f"{who(persona)}: GET {url}: expected {200 if persona in sees else 403}, "
                                f"got {response.status_code}")
            shown = email in html
            if shown != (persona in contact):
                failures.append(f"{who(persona)}: GET {url}: reporter e-mail expected "
                                f"{'shown' if persona in contact else 'hidden'}, was {'shown' if shown else 'hidden'}")
            if response.status_code == 200 and persona not in contact and "Contactgegevens niet zichtbaar" not in html:
                failures.append(f"{who(persona)}: GET {url}: no 'Contactgegevens niet zichtbaar' notice")
            if response.status_code == 200:  # read-only personas get no action forms
                forms = bool(re.search(r'action="[^"]*/(taak|overdragen)', html))
                acts = persona in {"a": ACTS_A, "b": ACTS_B, "c": frozenset({"admin"}) | OTHER}[key]
                if forms != acts:
                    failures.append(f"{who(persona)}: GET {url}: task/handover forms expected "
                                    f"{'shown' if acts else 'absent'}, were {'shown' if forms else 'absent'}")
            if other:  # the same reporter's other case is listed only when this persona may see that case
                listed = world.values[other] in html
                may = persona in contact and persona in (SEES_A if other == "a" else SEES_C)
                if listed != may:
                    failures.append(f"{who(persona)}: GET {url}: reporter's other case {world.values[other]} "
                                    f"expected {'listed' if may else 'not listed'}, was "
                                    f"{'listed' if listed else 'not listed'}")
        for key in ("ood", "meldkamer"):  # queues show no contact data to anyone
            url = f"/werk/wachtrij/{OOD if key == 'ood' else MELDKAMER}"
            html = session.get(url).get_data(as_text=True)
            if EMAIL_A in html or EMAIL_B in html:
                failures.append(f"{who(persona)}: GET {url}: queue shows a reporter e-mail address")
    assert not failures, "\n".join(failures)


def test_forms_without_csrf_token_are_refused(app, world):
    """POSTs that the user may do are still refused (400) without the CSRF token, and change nothing."""
    v = world.values
    admin = Session(app, world, "admin")
    handler = Session(app, world, "behandelaar-eigen")
    samples = [
        (handler, f"/werk/taak/{v['a_take']}/opnemen", {}),
        (handler, f"/werk/taak/{v['a_take']}/overnemen", {"note": "x"}),
        (handler, f"/werk/taak/{v['a_take']}/toewijzen", {"assignee": str(world.user_ids["behandelaar-eigen"])}),
        (handler, f"/werk/dossier/{v['a']}/taak/{v['a_take']}", {}),
        (handler, f"/werk/dossier/{v['a']}/overdragen", {"group": "fietsteam", "note": "Fietspad"}),
        (admin, f"/werk/dossier/{v['b']}/taak/{v['b_triage']}", {"decision": "dispatch", "group": OOD}),
        (admin, "/werk/beheer/gebruikers", {"username": "mallory", "display_name": "M", "role": "admin",
                                            "active": "on", "password": "lang-genoeg-123"}),
        (admin, f"/werk/beheer/gebruikers/{v['user_id']}", {"display_name": "Bart", "role": "admin",
                                                            "active": "on"}),
        (admin, "/werk/beheer/groepen", {"key": "nieuw", "name": "Nieuw", "kind": "internal", "active": "on"}),
        (admin, "/werk/taal/en", {}),
        (handler, "/werk/afmelden", {}),
    ]
    failures = []
    for session, url, data in samples:
        response = session.send("POST", url, data, csrf=False)
        if response.status_code != 400:
            failures.append(f"{who(session.persona)}: POST {url} without CSRF token: expected 400, got "
                            f"{describe(response)}")
        response = session._call(session.client.post, url, data={**data, "csrf_token": "forged"})
        if response.status_code != 400:
            failures.append(f"{who(session.persona)}: POST {url} with a forged CSRF token: expected 400, got "
                            f"{describe(response)}")
    assert world.item_state(v["a_take"]) == ("open", None), "a refused POST changed A's work item"
    assert world.item_state(v["b_triage"])[0] == "open", "a refused POST completed B's triage"
    assert world.case_group("a") == OOD, "a refused POST handed A over"
    assert world.read(lambda: db.session.scalar(select(func.count()).select_from(User)
                                                .where(User.username == "mallory"))) == 0
    assert world.read(lambda: db.session.get(User, v["user_id"]).role) == "behandelaar"
    assert meets(OK, handler.get(f"/werk/dossier/{v['a']}")), "logout without CSRF token logged the user out"
    assert not failures, "\n".join(failures)


def test_a_refused_user_gets_403_even_when_the_form_is_incomplete(app, world):
    """Authorisation comes before form validation: a user who may not act gets 403, not a form error (422) or a
    redirect to the case (which tells them the reference of another group's case)."""
    v = world.values
    failures = []
    for persona, url, data in [
        ("rapportage", f"/werk/dossier/{v['a']}/overdragen", {"group": "fietsteam", "note": ""}),
        ("meldkamer", f"/werk/dossier/{v['a']}/overdragen", {"group": "", "note": ""}),
        ("rapportage", f"/werk/taak/{v['a_take']}/toewijzen", {"assignee": ""}),
        ("behandelaar-ander", f"/werk/taak/{v['a_take']}/toewijzen", {}),
        ("onthaal", f"/werk/taak/{v['b_triage']}/toewijzen", {}),
    ]:
        session = Session(app, world, persona)
        response = session.send("POST", url, data)
        if response.status_code != 403:
            failures.append(f"{who(persona)}: POST {url} with {data}: expected 403, got {describe(response)}")
    assert not failures, "\n".join(failures)


def test_read_only_role_cannot_act_even_as_a_group_member(app, world):
    """Rapportage is read-only: membership of a group (which the admin page allows for any role) must not let a
    reporting account take, complete or hand over that group's work. The completions send an invalid form, so a
    refusal answers 403 and an (unwanted) acceptance answers 422 without changing the case."""
    world.update_user("rapportage", lambda rita: rita.groups.append(group_by_key(OOD)))
    session = Session(app, world, "rapportage")
    v = world.values
    failures = []
    response = api(app, world.tokens["rapportage"], "POST", f"/api/v1/work-items/{v['a_take']}/complete",
                   {"not_a_field": 1})
    if response.status_code != 403:
        failures.append(f"rapportage (member of {OOD}): API POST /api/v1/work-items/{v['a_take']}/complete: "
                        f"expected 403, got {response.status_code}")
    for url, data in [(f"/werk/dossier/{v['a']}/taak/{v['a_take']}", {"note": "x" * 5000}),
                      (f"/werk/taak/{v['a_take']}/opnemen", {}),
                      (f"/werk/dossier/{v['a']}/overdragen", {"group": "fietsteam", "note": "weg ermee"})]:
        response = session.send("POST", url, data)
        if response.status_code != 403:
            failures.append(f"rapportage (member of {OOD}): POST {url}: expected 403, got {describe(response)}")
    assert not failures, "\n".join(failures)


def test_deactivated_user_loses_the_session_and_the_api_token(app, world):
    session = Session(app, world, "behandelaar-eigen")
    assert meets(OK, session.get(f"/werk/wachtrij/{OOD}"))
    assert api(app, world.tokens["behandelaar-eigen"], "GET", f"/api/v1/cases/{world.values['a']}").status_code == 200
    world.update_user("behandelaar-eigen", lambda user: setattr(user, "active", False))
    response = session.get(f"/werk/wachtrij/{OOD}")
    assert meets(LOGIN, response), f"deactivated behandelaar: GET /werk/wachtrij/{OOD}: got {describe(response)}"
    response = api(app, world.tokens["behandelaar-eigen"], "GET", f"/api/v1/cases/{world.values['a']}")
    assert response.status_code == 401 and response.get_json()["error"] == "Unauthorized", \
        f"deactivated behandelaar: API GET /api/v1/cases/{world.values['a']}: got {response.status_code}"


# -- the API ----------------------------------------------------------------------------------------------------


def api_rules(app) -> list[tuple[str, str]]:
    return sorted({(r.rule, m) for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")
                   for m in r.methods - {"HEAD", "OPTIONS"}})


def test_api_answers_401_json_without_a_valid_token(app, world):
    """Every /api/v1 call: no token, a wrong token, a staff session cookie instead of a token -> 401 JSON."""
    logged_in = Session(app, world, "admin")  # the API must not accept the session cookie
    anonymous = app.test_client()
    failures = []
    for rule, method in api_rules(app):
        url = url_for_rule(rule, world.values)
        for label, client, headers in [("no token", anonymous, {}),
                                       ("wrong token", anonymous, {"Authorization": "Bearer not-a-token"}),
                                       ("not bearer", anonymous, {"Authorization": f"Basic {world.tokens['admin']}"}),
                                       ("staff session cookie, no token", logged_in.client, {})]:
            with app.app_context():
                response = client.open(url, method=method, json={}, headers=headers)
            body = response.get_json(silent=True)
            if response.status_code != 401 or not response.is_json or not (body or {}).get("message"):
                failures.append(f"API {method} {url} ({label}): expected 401 JSON with a message, got "
                                f"{response.status_code} {response.content_type}")
    assert len(api_rules(app)) >= 6
    assert not failures, "\n".join(failures)


def test_api_applies_the_same_rules_as_the_pages(app, world):
    """The staff API shares the permission rules: case access, contact data, queues, completing work."""
    v = world.values
    failures = []

    def call(persona: str, method: str, url: str, body=None):
        return api(app, world.tokens[persona], method, url, body)

    for persona in PERSONAS:
        checks = [("GET", f"/api/v1/cases/{v['a']}", None, 200 if persona in SEES_A else 403),
                  ("GET", f"/api/v1/cases/{v['b']}", None, 200 if persona in SEES_B else 403),
                  ("GET", f"/api/v1/cases/{v['c']}", None, 200 if persona in SEES_C else 403),
                  ("GET", f"/api/v1/work-items?group={OOD}", None, 200 if persona in QUEUE_READERS | OWN else 403),
                  ("GET", f"/api/v1/work-items?group={MELDKAMER}", None, 200 if persona in QUEUE_READERS else 403),
                  ("GET", "/api/v1/outbox", None, 200 if persona == "admin" else 403),
                  ("GET", "/api/v1/cases/nearby?lat=51.0257&lon=4.4776", None, 403 if persona == "rapportage" else 200),
                  ("PATCH", f"/api/v1/cases/{v['a']}", {"description": f"Gecorrigeerd door {persona} via de API"},
                   200 if persona in CORRECTS_A else 403)]
        if persona not in ACTS_A:
            checks.append(("POST", f"/api/v1/work-items/{v['a_take']}/complete", {}, 403))
        if persona not in ACTS_B:
            checks.append(("POST", f"/api/v1/work-items/{v['b_triage']}/complete",
                           {"decision": "dispatch", "group": OOD}, 403))
        if persona in OTHER or persona == "rapportage":
            checks.append(("POST", f"/api/v1/cases/{v['a']}/messages",
                           {"name": "reporter_reaction", "payload": {}}, 403))
        if persona not in ("admin", "meldkamer", "onthaal"):
            checks.append(("POST", "/api/v1/meldingen", {"description": "Test", "channel": "telefoon"}, 403))
            checks.append(("POST", "/api/v1/contacts", {"channel": "telefoon", "question": "Test", "topic": "afval",
                                                        "outcome": "answered", "answer": "Test"}, 403))
        checks.append(("GET", "/api/v1/contacts", None, 403 if persona == "rapportage" else 200))
        for method, url, body, expected in checks:
            response = call(persona, method, url, body)
            if response.status_code != expected:
                failures.append(f"{who(persona)}: API {method} {url}: expected {expected}, got "
                                f"{response.status_code} {response.get_json(silent=True)}")
            if method == "GET" and "/cases/" in url and "/nearby" not in url and response.status_code == 200:
                key = url.rsplit("/", 1)[1]
                contact = {v["a"]: CONTACT_A, v["b"]: CONTACT_B, v["c"]: CONTACT_C}[key]
                reporter = response.get_json()["reporter"]
                if (reporter is not None) != (persona in contact):
                    failures.append(f"{who(persona)}: API GET {url}: reporter expected "
                                    f"{'shown' if persona in contact else 'null'}, got {reporter}")
        mine = call(persona, "GET", "/api/v1/work-items")  # without ?group=: only the persona's own queues
        ids = {i["id"] for i in (mine.get_json() or {}).get("items", [])}
        own_a = persona in {"admin"} | OWN
        if (v["a_take"] in ids) != own_a:
            failures.append(f"{who(persona)}: API GET /api/v1/work-items: A's item expected "
                            f"{'listed' if own_a else 'not listed'}, got ids {sorted(ids)}")
    assert not failures, "\n".join(failures)


def test_redirect_targets_stay_on_this_site(app, world):
    """`next` after login and after a form must not send staff to another site: browsers read `/\\host` as
    `//host`, so a backslash after the first slash is as bad as a second slash."""
    failures = []

    def off_site(response) -> bool:
        location = response.headers.get("Location", "").replace("\\", "/")
        return bool(urlsplit(location).netloc) and urlsplit(location).netloc != "localhost"

    for target in ["//evil.example/", "/\\evil.example/", "https://evil.example/"]:
        client = app.test_client()
        token = anonymous_token(app, client)
        with app.app_context():
            response = client.post(LOGIN_PATH, query_string={"next": target},
                                   data={"username": world.usernames["behandelaar-eigen"], "password": PASSWORD,
                                         "csrf_token": token})
        if response.status_code != 302 or off_site(response):
            failures.append(f"login with next={target!r}: expected a redirect on this site, got {describe(response)}")
        session = Session(app, world, "behandelaar-eigen")
        url = f"/werk/taak/{world.values['a_take']}/opnemen"
        response = session.send("POST", url, {"next": target})
        if response.status_code != 302 or off_site(response):
            failures.append(f"behandelaar-eigen: POST {url} with next={target!r}: expected a redirect on this site, "
                            f"got {describe(response)}")
    assert not failures, "\n".join(failures)
