"""Reference data every installation needs, and demo data for `make run`.

Groups and volumes follow Mechelen's 2019 meldingen process; categories are a Flemish tree with
synonyms for search, each sub category with a default group and a deadline in working days.
"""
from __future__ import annotations

from sqlalchemy import func, select

from engine.db import db

from .categories import forget_categories
from .contacts import seed_general_topics
from .models import MELDKAMER, ONTHAAL, Category, HandlerGroup, User

GROUPS = [
    (MELDKAMER, "Meldkamer", "desk", "meldkamer@stad.example"),
    (ONTHAAL, "Onthaal", "desk", "onthaal@stad.example"),
    ("onderhoud-openbaar-domein", "Onderhoud openbaar domein", "internal", "ood@stad.example"),
    ("openbare-netheid", "Openbare netheid", "internal", "netheid@stad.example"),
    ("projecten-en-planning", "Projecten en planning", "internal", "projecten@stad.example"),
    ("fietsteam", "Fietsteam", "internal", "fietsteam@stad.example"),
    ("beheer-openbaar-domein", "Beheer openbaar domein", "internal", "bod@stad.example"),
    ("omgeving-economie-wonen", "Omgeving, economie en wonen", "internal", "omgeving@stad.example"),
    ("samen-leven", "Samen leven", "internal", "samenleven@stad.example"),
    ("vrije-tijd", "Vrije tijd", "internal", "vrijetijd@stad.example"),
    ("algemene-ondersteuning-stro", "Algemene ondersteuning en STRO", "internal", "stro@stad.example"),
    ("aannemer-wegenwerken", "Wegenbouw Dijle bv (aannemer)", "external", "planning@wegenbouw-dijle.example"),
    ("aannemer-verlichting", "Lichtwerk Rupel nv (aannemer)", "external", "service@lichtwerk-rupel.example"),
]

# main key, main name, [(sub key, sub name, default group, working days, synonyms)]
CATEGORIES = [
    ("wegen", "Weg, voetpad of plein", [
        ("wegdek-put", "Put of verzakking in de weg", "onderhoud-openbaar-domein", 10, "put gat verzakking asfalt"),
        ("voetpad-losse-tegel", "Losse of kapotte tegel in het voetpad", "onderhoud-openbaar-domein", 10,
         "tegel stoeptegel voetpad stoep put in het voetpad"),
        ("fietspad", "Fietspad beschadigd", "fietsteam", 10, "fietspad fiets"),
    ]),
    ("verlichting", "Openbare verlichting", [
        ("straatlamp-defect", "Straatlamp kapot", "onderhoud-openbaar-domein", 5,
         "lamp kapot straatlicht verlichting donker paal"),
    ]),
    ("netheid", "Netheid", [
        ("sluikstort", "Sluikstort", "openbare-netheid", 3, "afval gedumpt matras vuilniszakken sluikstorten"),
        ("vuilbak-vol", "Volle openbare vuilbak", "openbare-netheid", 2, "vuilnisbak vuilbak vol"),
        ("zwerfvuil", "Zwerfvuil", "openbare-netheid", 5, "zwerfvuil papier blikjes"),
    ]),
    ("groen", "Groen en bomen", [
        ("boom-gevaarlijk", "Gevaarlijke boom of tak", "beheer-openbaar-domein", 3, "boom tak omgevallen"),
        ("onkruid", "Onkruid of gras", "beheer-openbaar-domein", 15, "onkruid gras maaien"),
    ]),
    ("straatmeubilair", "Straatmeubilair", [
        ("bank-kapot", "Zitbank of paaltje beschadigd", "onderhoud-openbaar-domein", 15, "bank paaltje"),
        ("verkeersbord", "Verkeersbord of signalisatie", "onderhoud-openbaar-domein", 5, "bord signalisatie"),
    ]),
    ("samenleven", "Samenleven", [
        ("overlast", "Overlast of lawaai", "samen-leven", 10, "lawaai overlast buren"),
    ]),
]

# "Is dit uw melding?" looks back MELDPUNT_NEARBY_DAYS (12 weeks), except for problems that come back soon
# after they are solved: a bin full again next week is a new melding, not the same one.
DUPLICATE_DAYS = {"vuilbak-vol": 7, "sluikstort": 14, "zwerfvuil": 14}


def seed_reference_data() -> None:
    """Create the groups and categories that are missing (running it twice changes nothing)."""
    groups = {g.key: g for g in db.session.scalars(select(HandlerGroup))}
    for key, name, kind, email in GROUPS:
        if key not in groups:
            groups[key] = HandlerGroup(key=key, name=name, kind=kind, email=email)
            db.session.add(groups[key])
    existing = {c.key for c in db.session.scalars(select(Category))}
    for main_key, main_name, subs in CATEGORIES:
        main = db.session.scalar(select(Category).where(Category.key == main_key))
        if main is None:
            main = Category(key=main_key, name=main_name)
            db.session.add(main)
        for key, name, group, days, synonyms in subs:
            if key not in existing:
                db.session.add(Category(key=key, name=name, parent=main, default_group=groups[group],
                                        deadline_days=days, synonyms=synonyms,
                                        duplicate_days=DUPLICATE_DAYS.get(key)))
    db.session.flush()
    forget_categories()  # ids may be new (a fresh database)
    seed_general_topics()


DEMO_USERS = [
    ("admin", "Beheerder", "admin", None, "beheer@stad.example"),
    ("an.meldkamer", "An Peeters", "meldkamer", None, "an.peeters@stad.example"),
    ("bart.ood", "Bart Janssens", "behandelaar", "onderhoud-openbaar-domein", "bart.janssens@stad.example"),
    ("chris.ood", "Chris Maes", "groepsverantwoordelijke", "onderhoud-openbaar-domein", "chris.maes@stad.example"),
    ("dina.netheid", "Dina Claes", "behandelaar", "openbare-netheid", "dina.claes@stad.example"),
    ("eva.onthaal", "Eva Wouters", "onthaal", ONTHAAL, "eva.wouters@stad.example"),
]


DEMO_PASSWORD = "meldpunt-demo"


def not_the_demos() -> list[str]:
    """What keeps this database from getting the demo: its users that are not demo staff, its cases.

    The demo adds staff with a known password, so it only goes where nothing real is: a database whose only
    users are the demo staff with the demo password (its cases, however many, are then demo play), or one
    with no users and no cases at all. A real account called `admin` has another password, so it counts.
    """
    from werkzeug.security import check_password_hash

    from engine.models import Case

    demo_names = {username for username, *_rest in DEMO_USERS}
    users = list(db.session.scalars(select(User).order_by(User.username)))
    foreign = [u.username for u in users if u.username not in demo_names or not u.password_hash
               or not check_password_hash(u.password_hash, DEMO_PASSWORD)]
    found = []
    if foreign:
        shown = ", ".join(foreign[:8]) + (f" and {len(foreign) - 8} more" if len(foreign) > 8 else "")
        found.append(f"users: {shown}")
    if not users:
        cases = db.session.scalar(select(func.count()).select_from(Case))
        if cases:
            found.append(f"{cases} case(s)")
    return found


def seed_demo_users() -> dict[str, str]:
    """Create the demo staff (password DEMO_PASSWORD), each with a fresh API token; returns username -> token."""
    from werkzeug.security import generate_password_hash

    tokens = {}
    for username, name, role, group_key, email in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name, role=role, email=email,
                        password_hash=generate_password_hash(DEMO_PASSWORD))
            db.session.add(user)
        if group_key:
            group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == group_key))
            if group not in user.groups:
                user.groups.append(group)
        tokens[username] = user.issue_api_token()
    db.session.flush()
    return tokens


# position, name, group, category (a main category covers its subs), channel, keywords, area
# (name, min_lat, max_lat, min_lon, max_lon); the Centrum box is Mechelen inside the ring.
DEMO_ROUTING_RULES = [
    (10, "Fietspaden en fietsenstallingen", "fietsteam", None, None,
     "fietspad, fietsenstalling, fietsrek, fietsbeugel, fietssuggestiestrook", None),
    (20, "Werven en omleidingen", "projecten-en-planning", None, None,
     "werf, wegenwerken, omleiding, heraanleg", None),
    (30, "Groen binnen de ring", "onderhoud-openbaar-domein", "groen", None, None,
     ("Centrum", 51.0200, 51.0350, 4.4650, 4.4950)),
    (40, "Evenementen", "vrije-tijd", None, None, "evenement, festival, kermis, braderie", None),
]


def seed_demo_routing_rules() -> None:
    """Create the demo routing rules that are missing, by name (running it twice changes nothing)."""
    from .models import RoutingRule

    existing = set(db.session.scalars(select(RoutingRule.name)))
    for position, name, group_key, category_key, channel, keywords, area in DEMO_ROUTING_RULES:
        if name in existing:
            continue
        group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == group_key))
        category = (db.session.scalar(select(Category).where(Category.key == category_key))
                    if category_key else None)
        if group is None or (category_key and category is None):
            continue  # reference data not seeded (or renamed): leave the rule out
        rule = RoutingRule(position=position, name=name, active=True, group=group, category=category,
                           channel=channel, keywords=keywords)
        if area:
            rule.area_name, rule.min_lat, rule.max_lat, rule.min_lon, rule.max_lon = area
        db.session.add(rule)
    db.session.flush()
