"""Bulk-load N realistic cases into a migrated, seeded PostgreSQL schema, for the queue benchmark.

Everything is generated on the server with `INSERT ... SELECT ... generate_series` (no rows travel
through Python), in batches with progress. The loader needs the reference data (groups, categories,
the deployed `melding` definition) and uses the members of each group as assignees when there are any.

What it writes, per case (columns as in engine/models.py, every NOT NULL column filled):
- a category from a realistic mix (netheid ~53%, wegen ~15%, straatmeubilair ~6%, the rest spread),
  the category's default group as suggested group and (once dispatched) as the case's group;
- created_at spread evenly over the last 3 years, a deadline in working days from dispatch;
- ~85% closed (afgesloten, a few doorverwezen/duplicaat), `completed`, every work item completed;
- ~15% open, with exactly one open work item: triage in the meldkamer group for ~2% of all cases
  (the newest), take_in_handling or handle (assigned) in the handler group for the rest; open cases
  are mostly recent, with a tail of old ones (overdue), as in a real backlog;
- a reporter for ~88% of cases (one reporter per ~3 cases);
- 3 to 6 timeline events;
- `state` is a small fixed placeholder: the queue must never load it;
- with `mail_share` / `post_share` (the queue and HTTP benchmarks: 10% and 3%), that share of the cases are
  infomail cases (kind `mail`, reference I..., the mail's text as description, a row in incoming_mails, work
  in the onthaal lane then the handler group) and post cases (kind `post`, reference P..., the letter's
  subject as description, a row in post_letters and the text read from its scan in letter_texts, work in
  the handler group), with their processes' statuses and tasks. Their text is indexed like production's:
  the trigram GIN indexes of migration 0017g are recreated after the load on exactly these rows.

To load fast it drops the indexes and constraints of the four big tables (and the foreign keys that
point at them), loads, recreates exactly the same definitions (checked), resets the id sequences and
runs VACUUM (ANALYZE), so autovacuum does not start in the middle of a measurement.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

import psycopg
from sqlalchemy.engine import make_url

from engine.clock import utcnow
from engine.serializer import SERIALIZER_VERSION

BIG_TABLES = ("reporters", "cases", "work_items", "case_events", "incoming_mails", "post_letters", "letter_texts")
YEARS = 3
PLACEHOLDER_STATE = '{"bench": "placeholder; the queue never loads cases.state"}'

# Share of cases per sub category (normalised over the keys that exist in the database).
CATEGORY_MIX = {
    # netheid 53%
    "sluikstort": 24.0, "zwerfvuil": 15.0, "vuilbak-vol": 14.0,
    # wegen 15%
    "wegdek-put": 7.0, "voetpad-losse-tegel": 6.0, "fietspad": 2.0,
    # straatmeubilair 6%
    "verkeersbord": 4.0, "bank-kapot": 2.0,
    # the rest 26%
    "straatlamp-defect": 11.0, "overlast": 6.0, "onkruid": 5.0, "boom-gevaarlijk": 4.0,
}
DESCRIPTIONS = {
    "sluikstort": ["Vuilniszakken gedumpt naast de glasbol", "Oude matras en kasten op het voetpad",
                   "Bouwafval achtergelaten in de berm", "Zakken met afval aan de container"],
    "zwerfvuil": ["Veel blikjes en papier langs de weg", "Zwerfvuil op het speelplein",
                  "Plastic zakken in de haag na het weekend"],
    "vuilbak-vol": ["Openbare vuilbak zit overvol", "Vuilbak aan de bushalte puilt uit",
                    "Vuilnisbak in het park is al dagen vol"],
    "wegdek-put": ["Diepe put in het wegdek", "Verzakking in de rijweg na regen",
                   "Gat in het asfalt aan het kruispunt"],
    "voetpad-losse-tegel": ["Losse stoeptegel, gevaarlijk voor voetgangers", "Kapotte tegels in het voetpad",
                            "Voetpad opgeduwd door boomwortels"],
    "fietspad": ["Fietspad beschadigd, gevaarlijke scheur", "Gaten in het fietspad langs de vaart"],
    "verkeersbord": ["Verkeersbord omvergereden", "Bord hangt scheef", "Signalisatie verdwenen na werken"],
    "bank-kapot": ["Zitbank in het park kapot", "Paaltje omvergereden"],
    "straatlamp-defect": ["Straatlamp brandt niet meer", "Lamp knippert de hele nacht",
                          "Straatverlichting volledig uit"],
    "overlast": ["Lawaaioverlast 's nachts", "Overlast door samenscholing aan het plein"],
    "onkruid": ["Onkruid tussen de stoeptegels", "Gras in de berm is al weken niet gemaaid"],
    "boom-gevaarlijk": ["Afgebroken tak hangt boven de weg", "Boom helt gevaarlijk over na de storm"],
}
STREETS = ["Bruul", "Grote Markt", "IJzerenleen", "Onze-Lieve-Vrouwestraat", "Hoogstraat", "Adegemstraat",
           "Befferstraat", "Nekkerspoel", "Kerkhofweg", "Liersesteenweg", "Brusselsesteenweg", "Tervuursesteenweg",
           "Battelsesteenweg", "Mechelsesteenweg", "Koningin Astridlaan", "Guido Gezellelaan", "Vijfhoek",
           "Hanswijkvaart", "Zandpoortvest", "Hendrik Speecqvest", "Frederik de Merodestraat", "Keizerstraat",
           "Veemarkt", "Haverwerf", "Vismarkt", "Kanunnik De Deckerstraat", "Leopoldstraat", "Stationsstraat",
           "Auwegemvaart", "Ragheno", "Tinellaan", "Antwerpsesteenweg", "Oude Antwerpsebaan", "Kruisbaan",
           "Heffen Dorp", "Walem Dorp", "Muizen Dorp", "Hombeeksesteenweg", "Pasbrug", "Willem Geetsstraat"]
FIRST_NAMES = ["Jan", "Marie", "Lotte", "Tom", "Els", "Pieter", "Sofie", "Koen", "An", "Wim", "Nora", "Lucas",
               "Emma", "Mohamed", "Fatima", "Bram", "Lien", "Jef", "Ines", "Arne", "Yasmine", "Ruben", "Hanne"]
LAST_NAMES = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
              "De Smedt", "Van den Broeck", "Dubois", "Lambrechts", "Hermans", "El Amrani", "Vermeulen", "Aerts"]

# What citizens write to the info mailbox (with accents, as people type them), the opening and the close; the
# category's short description goes in between, so a mail's words overlap the meldingen's.
MAIL_OPENINGS = ["Goedemiddag, ik wil graag iets melden.", "Beste, sinds vorige week is er een probleem.",
                 "Geachte, ik schrijf u namens de bewoners van onze straat.",
                 "Hallo, mijn buurvrouw vroeg me om dit door te geven.",
                 "Dag stadsdiensten, na de reünie in het café merkten we het volgende:"]
MAIL_CLOSINGS = ["Kunnen jullie dit nagaan? Met vriendelijke groeten.",
                 "Ik hoop op een snel antwoord, alvast bedankt. Groeten uit België.",
                 "Graag een reactie per e-mail, mijn privé nummer staat hieronder.",
                 "Zijn er ideeën over wanneer dit opgelost wordt? Dank u.",
                 "Het is niet de eerste keer; gelieve dringend actie te ondernemen."]
MAIL_SUBJECTS = ["Vraag over afvalophaling", "Melding", "Probleem in onze straat", "Klacht", "Informatie gevraagd",
                 "Re: uw antwoord", "Dringend: gevaarlijke situatie"]
# Letters: their subject (the description) and the text of their scan (letter_texts).
LETTER_KINDS = ["vraag", "klacht", "bezwaar", "factuur", "ter_info"]
LETTER_SUBJECTS = ["Bezwaar tegen belastingaanslag", "Aanvraag parkeerkaart bewoners", "Klacht over geluidshinder",
                   "Factuur herstelling riolering", "Vraag om inzage dossier", "Aanvraag evenementenvergunning",
                   "Bezwaar tegen omgevingsvergunning", "Verzoek tot schadevergoeding na val op voetpad"]
LETTER_BODIES = ["Geachte heer, mevrouw, hierbij teken ik bezwaar aan tegen de aanslag van dit aanslagjaar. "
                 "Ik verzoek u de beslissing te herzien. Hoogachtend.",
                 "Geachte, naar aanleiding van uw brief van vorige maand wens ik het volgende te verduidelijken. "
                 "In bijlage vindt u de gevraagde documenten en het attest van de notaris.",
                 "Beste stadsbestuur, onze vereniging organiseert een buurtfeest met café-terras en muziek. "
                 "Wij vragen de toelating om de straat af te sluiten. Met vriendelijke groet.",
                 "Mijnheer de burgemeester, ik kwam ten val op het voetpad door een losse tegel en vraag een "
                 "tussenkomst in de kosten van de dokter en de apotheek.",
                 "Geachte dames en heren, ik ontving een factuur voor een herstelling die nooit is uitgevoerd. "
                 "Gelieve deze te crediteren. Met dank."]

# The manual tasks of bpmn/melding.bpmn as work-item rows, per case status: (step, task, title, lane,
# form, open?). Closed cases have all their work completed; an open case has exactly one open item.
TRIAGE = ("triage", "Melding beoordelen", "meldkamer", "triage")
TAKE = ("take_in_handling", "In behandeling nemen", "behandelaarsgroep", "take")
HANDLE = ("handle", "Melding behandelen", "behandelaarsgroep", "handle")
MAIL_TRIAGE = ("triage", "Mail triëren", "onthaal", "mail_triage")
MAIL_ANSWER = ("answer", "Mail beantwoorden", "behandelaarsgroep", "mail_answer")
POST_ANSWER = ("answer", "Brief beantwoorden", "behandelaarsgroep", "post_answer")
POST_SENT = ("sent_task", "Brief verzonden", "behandelaarsgroep", "post_sent")
# Mail and post cases follow bpmn/infomail.bpmn and bpmn/post.bpmn: per status the generator drew (the
# melding's, which sets the dates and the timeline), the case's own status and its work items.
KIND_STATUS = {
    "mail": {"ontvangen": "ontvangen", "toegewezen": "in_behandeling", "in_behandeling": "in_behandeling",
             "afgesloten": "beantwoord", "doorverwezen": "afgesloten", "duplicaat": "afgesloten"},
    "post": {"ontvangen": "toegewezen", "toegewezen": "toegewezen", "in_behandeling": "brief_klaar",
             "afgesloten": "afgesloten", "doorverwezen": "afgesloten", "duplicaat": "afgesloten"},
}
KIND_STEPS = {
    "mail": {"ontvangen": [(1, *MAIL_TRIAGE, True)],
             "toegewezen": [(1, *MAIL_TRIAGE, False), (2, *MAIL_ANSWER, True)],
             "in_behandeling": [(1, *MAIL_TRIAGE, False), (3, *MAIL_ANSWER, True)],
             "afgesloten": [(1, *MAIL_TRIAGE, False), (3, *MAIL_ANSWER, False)],
             "doorverwezen": [(1, *MAIL_TRIAGE, False)], "duplicaat": [(1, *MAIL_TRIAGE, False)]},
    "post": {"ontvangen": [(2, *POST_ANSWER, True)], "toegewezen": [(2, *POST_ANSWER, True)],
             "in_behandeling": [(2, *POST_ANSWER, False), (3, *POST_SENT, True)],
             "afgesloten": [(2, *POST_ANSWER, False), (3, *POST_SENT, False)],
             "doorverwezen": [(2, *POST_ANSWER, False)], "duplicaat": [(2, *POST_ANSWER, False)]},
}
STEPS = {
    "afgesloten": [(1, *TRIAGE, False), (2, *TAKE, False), (3, *HANDLE, False)],
    "doorverwezen": [(1, *TRIAGE, False)],
    "duplicaat": [(1, *TRIAGE, False)],
    "ontvangen": [(1, *TRIAGE, True)],
    "toegewezen": [(1, *TRIAGE, False), (2, *TAKE, True)],
    "in_behandeling": [(1, *TRIAGE, False), (2, *TAKE, False), (3, *HANDLE, True)],
}
# Timeline templates per case status: (k, kind, public, optional, when, status, from, actor, text).
# `when`: c created, c1 a second later, m an hour later, d dispatched, t taken, x closed.
_CREATED = ("created", True, False, "c", "ontvangen", None, "systeem", "Ontvangen")
_SUGGESTED = ("suggested", False, False, "c1", None, None, "systeem", None)
_DISPATCHED = ("dispatched", True, False, "d", "toegewezen", None, "Meldkamer", None)
_TOEGEWEZEN = ("status", True, False, "d", "toegewezen", "ontvangen", "Meldkamer",
               "Doorgestuurd naar de behandelende dienst")
EVENTS = {
    "afgesloten": [_CREATED, _SUGGESTED, _DISPATCHED, (*_TOEGEWEZEN[:2], True, *_TOEGEWEZEN[3:]),
                   ("taken", False, False, "t", None, None, "Behandelaar", None),
                   ("closed", True, False, "x", "afgesloten", None, "Behandelaar", "Afgesloten")],
    "doorverwezen": [_CREATED, _SUGGESTED,
                     ("referred", True, False, "x", "doorverwezen", None, "Meldkamer",
                      "Doorverwezen naar de bevoegde instantie"),
                     ("status", True, True, "x", "doorverwezen", "ontvangen", "Meldkamer", "Doorverwezen")],
    "duplicaat": [_CREATED, _SUGGESTED,
                  ("duplicate", True, False, "x", "duplicaat", None, "Meldkamer",
                   "Samengevoegd met een andere melding"),
                  ("status", True, True, "x", "duplicaat", "ontvangen", "Meldkamer",
                   "Samengevoegd met een andere melding")],
    "ontvangen": [_CREATED, _SUGGESTED,
                  ("message", False, False, "m", None, None, "melder", None)],
    "toegewezen": [_CREATED, _SUGGESTED, _DISPATCHED, _TOEGEWEZEN,
                   ("message", False, True, "m", None, None, "melder", None)],
    "in_behandeling": [_CREATED, _SUGGESTED, _DISPATCHED, (*_TOEGEWEZEN[:2], True, *_TOEGEWEZEN[3:]),
                       ("taken", False, False, "t", None, None, "Behandelaar", None),
                       ("status", True, False, "t", "in_behandeling", "toegewezen", "Behandelaar", "In behandeling")],
}


@dataclass
class LoadStats:
    """What was loaded and how long each part took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def libpq_url(sqlalchemy_url: str) -> str:
    """The libpq URI (psycopg) for a SQLAlchemy `postgresql+psycopg://` URL, options included."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _ddl(cur: psycopg.Cursor) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]]]:
    """Constraints (name, table, kind, definition) on or pointing at the big tables, and their other indexes."""
    cur.execute("""
        SELECT con.conname, t.relname, con.contype::text, pg_get_constraintdef(con.oid)
        FROM pg_constraint con
        JOIN pg_class t ON t.oid = con.conrelid
        LEFT JOIN pg_class r ON r.oid = con.confrelid
        WHERE t.relnamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u', 'f')
          AND (t.relname = ANY(%(tables)s) OR r.relname = ANY(%(tables)s))
        ORDER BY con.conname""", {"tables": list(BIG_TABLES)})
    constraints = [tuple(row) for row in cur.fetchall()]
    cur.execute("""
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%(tables)s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
                          AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x'))
        ORDER BY i.relname""", {"tables": list(BIG_TABLES)})
    indexes = [tuple(row) for row in cur.fetchall()]
    return constraints, indexes


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reference_data(cur: psycopg.Cursor) -> dict:
    """Categories with their default groups, the meldkamer group, the definition and the staff to assign."""
    cur.execute("""
        SELECT c.key, c.id, c.default_group_id, c.deadline_days, c.name, g.name
        FROM categories c JOIN handler_groups g ON g.id = c.default_group_id
        WHERE c.parent_id IS NOT NULL AND c.active ORDER BY c.id""")
    categories = cur.fetchall()
    cur.execute("SELECT id FROM handler_groups WHERE key = 'meldkamer'")
    meldkamer = cur.fetchone()
    cur.execute("SELECT id, version FROM process_definitions WHERE key = 'melding' ORDER BY version DESC LIMIT 1")
    definition = cur.fetchone()
    cur.execute("""SELECT DISTINCT ON (key) key, id FROM process_definitions WHERE key IN ('infomail', 'post')
                   ORDER BY key, version DESC""")
    others = dict(cur.fetchall())
    cur.execute("SELECT id FROM handler_groups WHERE key = 'onthaal'")
    onthaal = cur.fetchone()
    if not categories or meldkamer is None or definition is None:
        raise RuntimeError("seed the reference data and deploy the built-in models before bulk loading")
    cur.execute("""
        SELECT m.group_id, array_agg(u.id ORDER BY u.id) FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE u.active AND u.role IN ('behandelaar', 'groepsverantwoordelijke') GROUP BY m.group_id""")
    members = cur.fetchall()
    cur.execute("SELECT array_agg(id ORDER BY id) FROM users WHERE active AND role = 'meldkamer'")
    desk_users = cur.fetchone()[0] or []
    return {"categories": categories, "meldkamer": meldkamer[0], "definition": definition,
            "members": members, "desk_users": desk_users, "mail_definition": others.get("infomail"),
            "post_definition": others.get("post"), "onthaal": onthaal[0] if onthaal else None}


def _create_plan_tables(cur: psycopg.Cursor, ref: dict) -> None:
    """Small temporary tables the generating queries join with: category mix, members, steps, timeline."""
    known = [c for c in ref["categories"] if c[0] in CATEGORY_MIX]
    others = [c for c in ref["categories"] if c[0] not in CATEGORY_MIX]
    weights = [(c, CATEGORY_MIX[c[0]]) for c in known] + [(c, 0.5) for c in others]  # unknown: a little
    total = sum(w for _, w in weights)
    cur.execute("""CREATE TEMP TABLE bench_categories (lo float8, hi float8, category_id int, group_id int,
                   days int, cat_name text, group_name text, texts text[])""")
    acc = 0.0
    for i, ((key, cid, gid, days, name, group_name), weight) in enumerate(weights):
        lo, acc = acc, acc + weight / total
        hi = 1.0 + 1e-9 if i == len(weights) - 1 else acc
        cur.execute("INSERT INTO bench_categories VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (lo, hi, cid, gid, days, name, group_name, DESCRIPTIONS.get(key, [name])))
    cur.execute("CREATE TEMP TABLE bench_members (group_id int PRIMARY KEY, ids int[])")
    for gid, ids in ref["members"]:
        cur.execute("INSERT INTO bench_members VALUES (%s, %s)", (gid, ids))
    cur.execute("""CREATE TEMP TABLE bench_steps (kind text, status text, step int, task_name text, title text,
                   lane text, form_key text, is_open bool)""")
    for kind, per_status in (("melding", STEPS), *KIND_STEPS.items()):
        for status, steps in per_status.items():
            for step in steps:
                cur.execute("INSERT INTO bench_steps VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", (kind, status, *step))
    cur.execute("CREATE TEMP TABLE bench_kind_status (ks_kind text, ks_status text, case_status text)")
    for kind, mapping in (("melding", {status: status for status in STEPS}), *KIND_STATUS.items()):
        for status, case_status in mapping.items():
            cur.execute("INSERT INTO bench_kind_status VALUES (%s, %s, %s)", (kind, status, case_status))
    cur.execute("""CREATE TEMP TABLE bench_events (status text, k int, kind text, public bool, optional bool,
                   anchor text, ev_status text, from_status text, actor text, body text)""")
    for status, templates in EVENTS.items():
        for k, template in enumerate(templates, start=1):
            cur.execute("INSERT INTO bench_events VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (status, k, *template))


BATCH_SQL = """
CREATE TEMP TABLE bench_batch AS
WITH r AS (
    SELECT i AS id, (i - %(first)s)::float8 / %(n)s AS f,
           %(t0)s::timestamptz + make_interval(secs => ((i - %(first)s) + random()) * %(step)s) AS created_at,
           random() AS u_cat, random() AS u_state, random() AS u_sub, random() AS u_chan, random() AS u_rep,
           random() AS u_d1, random() AS u_d2, random() AS u_d3, random() AS u_who, random() AS u_txt,
           random() AS u_addr, random() AS u_lat, random() AS u_lon, random() AS u_ev, random() AS u_kind,
           random() AS u_open, random() AS u_close
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
), s AS (
    SELECT r.*, c.category_id, c.group_id AS default_group_id, c.days, c.cat_name, c.group_name, c.texts, m.ids,
           CASE WHEN r.u_state < 0.12 * r.f ^ 5 THEN 'ontvangen'
                WHEN r.u_state < 0.03 + 0.48 * r.f ^ 3
                     THEN CASE WHEN r.u_sub < 0.4 THEN 'toegewezen' ELSE 'in_behandeling' END
                WHEN r.u_sub < 0.03 THEN 'doorverwezen'
                WHEN r.u_sub < 0.05 THEN 'duplicaat'
                ELSE 'afgesloten' END AS status
    FROM r JOIN bench_categories c ON r.u_cat >= c.lo AND r.u_cat < c.hi
    LEFT JOIN bench_members m ON m.group_id = c.group_id
), d AS (
    SELECT s.*,
           CASE WHEN status IN ('toegewezen', 'in_behandeling', 'afgesloten')
                THEN least(%(now)s, created_at + make_interval(secs => 1800 + u_d1 * 108000)) END AS dispatched_at,
           CASE WHEN status IN ('doorverwezen', 'duplicaat')
                THEN least(%(now)s, created_at + make_interval(secs => 1800 + u_d1 * 108000)) END AS triaged_at
    FROM s
), k AS (
    SELECT d.*, CASE WHEN u_kind < %(mail_share)s THEN 'mail'
                     WHEN u_kind < %(mail_share)s + %(post_share)s THEN 'post' ELSE 'melding' END AS kind
    FROM d
), t AS (
    SELECT d.*,
           d.dispatched_at + make_interval(days => round(d.days * 1.4)::int) AS deadline_at,
           CASE WHEN status IN ('in_behandeling', 'afgesloten')
                THEN least(%(now)s, dispatched_at + make_interval(secs => u_d2 * days * 0.6 * 86400)) END AS taken_at
    FROM k AS d
)
SELECT t.id, t.status, t.kind, ks.case_status, t.created_at, t.dispatched_at, t.deadline_at, t.taken_at,
       CASE WHEN status = 'afgesloten' THEN least(%(now)s, taken_at + make_interval(secs => u_d3 * days * 1.6 * 86400))
            ELSE triaged_at END AS closed_at,
       t.category_id, t.cat_name, t.group_name, t.days,
       t.default_group_id,
       CASE WHEN t.dispatched_at IS NOT NULL OR t.kind = 'post' THEN t.default_group_id END AS group_id,
       CASE WHEN t.status IN ('afgesloten', 'in_behandeling') AND t.ids IS NOT NULL
                 AND (t.status = 'afgesloten' OR t.u_who < 0.9)
            THEN t.ids[1 + floor(t.u_who * cardinality(t.ids))::int] END AS assignee_id,
       (%(desk)s::int[])[1 + (t.id %% greatest(cardinality(%(desk)s::int[]), 1))::int] AS desk_user_id,
       CASE WHEN u_chan < 0.50 THEN 'web' WHEN u_chan < 0.75 THEN 'telefoon' WHEN u_chan < 0.85 THEN 'app'
            WHEN u_chan < 0.92 THEN 'mail' WHEN u_chan < 0.96 THEN 'balie' WHEN u_chan < 0.99 THEN 'brief'
            ELSE 'sociale_media' END AS channel,
       CASE WHEN u_rep < 0.88 THEN %(rep_base)s + 1 + floor(u_rep / 0.88 * %(reporters)s)::bigint END AS reporter_id,
       CASE t.kind
            WHEN 'mail' THEN (%(mail_open)s::text[])[1 + floor(u_open * cardinality(%(mail_open)s::text[]))::int]
                 || ' ' || texts[1 + floor(u_txt * cardinality(texts))::int] || ' aan de '
                 || (%(streets)s::text[])[1 + floor(u_addr * cardinality(%(streets)s::text[]))::int] || '. '
                 || (%(mail_close)s::text[])[1 + floor(u_close * cardinality(%(mail_close)s::text[]))::int]
            WHEN 'post'
                 THEN (%(letter_subjects)s::text[])[1 + floor(u_txt * cardinality(%(letter_subjects)s::text[]))::int]
            ELSE texts[1 + floor(u_txt * cardinality(texts))::int] END AS description,
       u_open, u_close, u_txt,
       (%(streets)s::text[])[1 + floor(u_addr * cardinality(%(streets)s::text[]))::int] || ' '
           || (1 + floor(u_addr * 100000)::int %% 140) || ', 2800 Mechelen' AS address,
       51.0110 + u_lat * 0.0500 AS lat, 4.4300 + u_lon * 0.0900 AS lon,
       u_ev
FROM t JOIN bench_kind_status ks ON ks.ks_kind = t.kind AND ks.ks_status = t.status
"""

# The reference of a bulk-loaded case (a column of CASES_SQL, and the start of its search text).
REFERENCE_SQL = """CASE b.kind WHEN 'mail' THEN 'I' WHEN 'post' THEN 'P' ELSE 'M' END
           || extract(year FROM b.created_at AT TIME ZONE 'UTC')::int || '-'
           || lpad(b.id::text, greatest(6, length(b.id::text)), '0')"""
REPORTER_TEXT = ("coalesce(r.name, '') || ' ' || coalesce(r.email, '') || ' ' || coalesce(r.phone, '') || ' ' || "
                 "translate(coalesce(r.phone, ''), ' ./-()', '')")
CASES_SQL = """
INSERT INTO cases (id, reference, kind, channel, definition_id, state, serializer_version, status, completed,
                   next_timer_at, error, lock_version, description, category_id, group_id, suggested_group_id,
                   suggestion_reason, address, lat, lon, reporter_id, duplicate_of_id, tracking_token,
                   deadline_at, created_at, updated_at, closed_at, search_text)
SELECT b.id,
       """ + REFERENCE_SQL + """,
       b.kind, CASE b.kind WHEN 'mail' THEN 'mail' WHEN 'post' THEN 'brief' ELSE b.channel END,
       CASE b.kind WHEN 'mail' THEN %(mail_definition)s WHEN 'post' THEN %(post_definition)s ELSE %(definition)s END,
       %(state)s, %(serializer)s, b.case_status,
       b.status IN ('afgesloten', 'doorverwezen', 'duplicaat'),
       CASE WHEN b.status IN ('toegewezen', 'in_behandeling') AND b.deadline_at > %(now)s THEN b.deadline_at END,
       NULL,
       CASE b.status WHEN 'afgesloten' THEN 4 WHEN 'in_behandeling' THEN 3 WHEN 'ontvangen' THEN 1 ELSE 2 END,
       b.description, CASE WHEN b.kind = 'melding' THEN b.category_id END, b.group_id, b.default_group_id,
       'Standaardgroep van categorie ''' || b.cat_name || '''',
       b.address, b.lat, b.lon, b.reporter_id,
       CASE WHEN b.status = 'duplicaat' AND b.kind = 'melding' AND b.id > 1000 THEN b.id - 1 - (b.id %% 997) END,
       md5('bench-token-' || b.id::text) || substr(md5('bench-salt-' || b.id::text), 1, 11),
       b.deadline_at, b.created_at,
       greatest(b.created_at, coalesce(b.closed_at, b.taken_at, b.dispatched_at, b.created_at)),
       b.closed_at,
       -- what migration 0019s's meldpunt_case_search_text() gives before the case has letters (open cases)
       CASE WHEN b.status NOT IN ('afgesloten', 'doorverwezen', 'duplicaat') THEN
           meldpunt_fold(""" + REFERENCE_SQL + """ || ' ' || coalesce(b.address, '') || ' ' || b.description || ' ' ||
                         CASE WHEN r.id IS NULL THEN '' ELSE """ + REPORTER_TEXT + """ END) END
FROM bench_batch b LEFT JOIN reporters r ON r.id = b.reporter_id
"""
# a post case's letter text, folded, after the rest of its search text (as meldpunt_case_search_text() has it)
LETTER_SEARCH_TEXT_SQL = """
UPDATE cases c SET search_text = c.search_text || ' ' || meldpunt_fold(coalesce(t.text, ''))
FROM letter_texts t
WHERE t.case_id = c.id AND t.id > %(texts_before)s AND NOT c.completed
"""

WORK_ITEMS_SQL = """
INSERT INTO work_items (id, case_id, task_id, task_name, title, lane, form_key, group_id, status, assignee_id,
                        due_at, created_at, completed_at, completed_by_id)
SELECT %(base)s + row_number() OVER (ORDER BY b.id, s.step), b.id,
       md5('bench-task-' || b.id::text || '-' || s.step)::uuid::text,
       s.task_name, s.title, s.lane, s.form_key,
       CASE s.lane WHEN 'meldkamer' THEN %(meldkamer)s WHEN 'onthaal' THEN %(onthaal)s ELSE b.group_id END,
       CASE WHEN s.is_open THEN 'open' ELSE 'completed' END,
       CASE WHEN s.lane = 'behandelaarsgroep' AND (s.step = 3 OR NOT s.is_open) THEN b.assignee_id END,
       CASE WHEN s.lane = 'behandelaarsgroep' THEN coalesce(b.deadline_at, b.created_at + interval '30 days') END,
       CASE s.step WHEN 1 THEN b.created_at WHEN 2 THEN coalesce(b.dispatched_at, b.created_at)
                   ELSE coalesce(b.taken_at, b.dispatched_at, b.created_at) END,
       CASE WHEN s.is_open THEN NULL
            WHEN s.step = 1 THEN coalesce(b.dispatched_at, b.closed_at)
            WHEN s.step = 2 THEN coalesce(b.taken_at, b.closed_at) ELSE b.closed_at END,
       CASE WHEN s.is_open THEN NULL WHEN s.lane <> 'behandelaarsgroep' THEN b.desk_user_id ELSE b.assignee_id END
FROM bench_batch b JOIN bench_steps s ON s.kind = b.kind AND s.status = b.status
"""

EVENTS_SQL = """
INSERT INTO case_events (id, case_id, at, kind, actor, user_id, public, status, text, note, data)
SELECT %(base)s + row_number() OVER (ORDER BY b.id, e.k), b.id,
       least(%(now)s, CASE e.anchor WHEN 'c' THEN b.created_at
                                    WHEN 'c1' THEN b.created_at + interval '1 second'
                                    WHEN 'm' THEN b.created_at + interval '1 hour'
                                    WHEN 'd' THEN b.dispatched_at
                                    WHEN 't' THEN b.taken_at
                                    ELSE b.closed_at END),
       e.kind, e.actor, NULL, e.public, e.ev_status,
       CASE WHEN e.kind = 'dispatched' THEN 'Doorgestuurd naar ' || b.group_name ELSE e.body END,
       CASE WHEN e.kind = 'suggested' THEN 'Standaardgroep van categorie ''' || b.cat_name || ''''
            WHEN e.kind = 'message' THEN 'De melder stuurde bijkomende informatie.' END,
       CASE e.kind
            WHEN 'created' THEN json_build_object('channel', b.channel, 'definition', %(definition_label)s::text)
            WHEN 'status' THEN json_build_object('from', e.from_status, 'to', e.ev_status)
            WHEN 'dispatched' THEN json_build_object('group_id', b.group_id, 'deadline', b.deadline_at,
                                                     'working_days', b.days) END
FROM bench_batch b JOIN bench_events e ON e.status = b.status AND (NOT e.optional OR b.u_ev < 0.5)
"""

REPORTERS_SQL = """
INSERT INTO reporters (id, name, email, phone, language, created_at)
SELECT %(base)s + i,
       CASE WHEN u_anon >= 0.1 THEN fn || ' ' || ln END,
       CASE WHEN u_mail < 0.8 THEN lower(fn) || '.' || lower(replace(ln, ' ', '')) || i || '@example.org' END,
       CASE WHEN u_mail >= 0.6 THEN '04' || lpad(((i * 7919) %% 100000000)::text, 8, '0') END,
       CASE WHEN u_lang < 0.9 THEN 'nl' WHEN u_lang < 0.95 THEN 'fr' ELSE 'en' END,
       %(t0)s::timestamptz + make_interval(secs => u_at * %(span)s)
FROM (SELECT i, random() AS u_anon, random() AS u_mail, random() AS u_lang, random() AS u_at,
             (%(first)s::text[])[1 + floor(random() * cardinality(%(first)s::text[]))::int] AS fn,
             (%(last)s::text[])[1 + floor(random() * cardinality(%(last)s::text[]))::int] AS ln
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i) AS r
"""


MAILS_SQL = """
INSERT INTO incoming_mails (id, folder, uidvalidity, uid, message_id, sha256, content_sha256, sender, subject,
                            outcome, reason, case_id, received_at)
SELECT %(base)s + row_number() OVER (ORDER BY b.id), 'INBOX', 1, b.id, '<bench-' || b.id || '@mail.example>',
       md5('bench-mail-' || b.id) || md5('bench-mail-2-' || b.id),
       md5('bench-content-' || b.id) || md5('bench-content-2-' || b.id),
       r.email, (%(subjects)s::text[])[1 + (b.id %% cardinality(%(subjects)s::text[]))::int],
       'new_case', 'nieuw dossier met ontvangstbevestiging', b.id, b.created_at
FROM bench_batch b LEFT JOIN reporters r ON r.id = b.reporter_id
WHERE b.kind = 'mail'
"""

LETTERS_SQL = """
INSERT INTO post_letters (id, case_id, sender_name, sender_address, sender_email, received_on, written_on, subject,
                          letter_kind, registered_mail, deadline_days, deadline_unit, scan_file_id, scan_pages,
                          registered_by, created_at)
SELECT %(base)s + row_number() OVER (ORDER BY b.id), b.id, coalesce(r.name, 'Onbekende afzender'), b.address,
       r.email, (b.created_at AT TIME ZONE 'Europe/Brussels')::date,
       (b.created_at AT TIME ZONE 'Europe/Brussels')::date - 2, b.description,
       (%(kinds)s::text[])[1 + (b.id %% cardinality(%(kinds)s::text[]))::int], b.id %% 10 = 0, 30, 'kalenderdagen',
       NULL, 1 + (b.id %% 4)::int, 'Postkamer', b.created_at
FROM bench_batch b LEFT JOIN reporters r ON r.id = b.reporter_id
WHERE b.kind = 'post'
"""

LETTER_TEXTS_SQL = """
INSERT INTO letter_texts (id, letter_id, case_id, status, attempts, text, pages_total, pages_read, text_layer_pages,
                          unread_pages, created_at, finished_at)
SELECT %(base)s + row_number() OVER (ORDER BY p.id), p.id, p.case_id, 'done', 1,
       (%(bodies)s::text[])[1 + (p.case_id %% cardinality(%(bodies)s::text[]))::int]
           || ' Betreft: ' || p.subject || '. ' || p.sender_name || ', ' || p.sender_address,
       p.scan_pages, p.scan_pages, p.scan_pages, 0, p.created_at, p.created_at + interval '2 minutes'
FROM post_letters p
WHERE p.id > %(letters_before)s
"""


def bulk_load(url: str, cases: int, *, batch: int = 200_000, seed: float = 0.4242,
              log: Callable[[str], None] = print, years: float = YEARS,
              points: Optional[Sequence[tuple[float, float]]] = None, mail_share: float = 0.0,
              post_share: float = 0.0) -> LoadStats:
    """Load `cases` cases (with reporters, work items and timeline) into the schema `url` points at.

    `mail_share` and `post_share`: the fraction of the cases that are infomail and post cases (0: meldingen only).

    Created over the last `years` years. `points`: the (lat, lon) of each case in order (at least `cases`
    of them; benchmarks/nearby.py draws them inside the city's boundary); without it, a box around Mechelen.
    """
    stats = LoadStats()
    now = utcnow()
    t0 = now - timedelta(days=365 * years)
    span = (now - t0).total_seconds() - 3600.0  # the newest case is about an hour old
    step = span / max(cases, 1)
    n_reporters = max(1, math.ceil(cases / 3))

    def timed(label: str, fn: Callable[[], None]) -> None:
        start = time.perf_counter()
        fn()
        stats.seconds[label] = stats.seconds.get(label, 0.0) + time.perf_counter() - start

    with psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET temp_buffers = '256MB'")
        cur.execute("SELECT setseed(%s)", (seed,))
        ref = _reference_data(cur)
        if (mail_share and (ref["mail_definition"] is None or ref["onthaal"] is None)) or \
                (post_share and ref["post_definition"] is None):
            raise RuntimeError("deploy the infomail and post models and seed the onthaal before loading their cases")
        _create_plan_tables(cur, ref)
        definition_label = f"melding v{ref['definition'][1]}"
        bases = {}
        for table in BIG_TABLES:
            cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            bases[table] = cur.fetchone()[0]

        constraints, indexes = _ddl(cur)
        if points is not None:
            if len(points) < cases:
                raise ValueError(f"{len(points)} points for {cases} cases")

            def copy_points() -> None:
                cur.execute("CREATE TEMP TABLE bench_points (i bigint PRIMARY KEY, lat float8, lon float8)")
                with cur.copy("COPY bench_points (i, lat, lon) FROM STDIN") as copy:
                    for i in range(cases):
                        copy.write_row((i + 1, points[i][0], points[i][1]))

            timed("points", copy_points)

        def drop_all() -> None:
            for table in BIG_TABLES:
                cur.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
                # the search text's triggers (migration 0019s) would look rows up without their indexes: the
                # load writes cases.search_text itself
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            for name, table, _kind, _definition in sorted(constraints, key=lambda c: c[2] != "f"):
                cur.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}")
            for name, _definition in indexes:
                cur.execute(f"DROP INDEX {_q(name)}")

        timed("drop indexes", drop_all)
        log(f"  dropped {len(constraints)} constraints and {len(indexes)} indexes of {', '.join(BIG_TABLES)} "
            f"for the load")

        def run(label: str, sql: str, params: dict) -> int:
            start = time.perf_counter()
            cur.execute(sql, params)
            stats.seconds[label] = stats.seconds.get(label, 0.0) + time.perf_counter() - start
            return cur.rowcount

        start = time.perf_counter()
        for lo in range(1, n_reporters + 1, batch):
            run("reporters", REPORTERS_SQL, {"base": bases["reporters"], "lo": lo,
                                             "hi": min(lo + batch - 1, n_reporters), "t0": t0, "span": span,
                                             "first": FIRST_NAMES, "last": LAST_NAMES})
        stats.rows["reporters"] = n_reporters
        log(f"  reporters: {n_reporters:,} rows in {time.perf_counter() - start:.1f}s")

        base_case, wi_base, ev_base = bases["cases"], bases["work_items"], bases["case_events"]
        stats.rows.update({"cases": 0, "work_items": 0, "case_events": 0, "incoming_mails": 0, "post_letters": 0,
                           "letter_texts": 0})
        mail_base, letter_base, text_base = bases["incoming_mails"], bases["post_letters"], bases["letter_texts"]
        load_start = time.perf_counter()
        for lo in range(1, cases + 1, batch):
            hi = min(lo + batch - 1, cases)
            cur.execute("DROP TABLE IF EXISTS bench_batch")
            # ids continue after any existing case; `first` puts the first new id at the start of the time axis
            run("plan", BATCH_SQL, {"n": cases, "t0": t0, "step": step, "first": base_case + 1,
                                    "lo": base_case + lo, "hi": base_case + hi, "now": now,
                                    "desk": ref["desk_users"], "rep_base": bases["reporters"],
                                    "reporters": n_reporters, "streets": STREETS,
                                    "mail_share": mail_share, "post_share": post_share, "mail_open": MAIL_OPENINGS,
                                    "mail_close": MAIL_CLOSINGS, "letter_subjects": LETTER_SUBJECTS})
            if points is not None:
                run("plan", "UPDATE bench_batch b SET lat = p.lat, lon = p.lon FROM bench_points p "
                            "WHERE p.i = b.id - %(base)s", {"base": base_case})
            stats.rows["cases"] += run("cases", CASES_SQL, {
                "definition": ref["definition"][0], "state": PLACEHOLDER_STATE, "serializer": SERIALIZER_VERSION,
                "now": now, "mail_definition": ref["mail_definition"], "post_definition": ref["post_definition"]})
            added = run("work_items", WORK_ITEMS_SQL, {"base": wi_base, "meldkamer": ref["meldkamer"],
                                                      "onthaal": ref["onthaal"]})
            stats.rows["work_items"] += added
            wi_base += added
            added = run("case_events", EVENTS_SQL, {"base": ev_base, "now": now, "definition_label": definition_label})
            stats.rows["case_events"] += added
            ev_base += added
            if mail_share:
                added = run("mails", MAILS_SQL, {"base": mail_base, "subjects": MAIL_SUBJECTS})
                stats.rows["incoming_mails"] += added
                mail_base += added
            if post_share:
                added = run("letters", LETTERS_SQL, {"base": letter_base, "kinds": LETTER_KINDS})
                stats.rows["post_letters"] += added
                added = run("letters", LETTER_TEXTS_SQL, {"base": text_base, "bodies": LETTER_BODIES,
                                                          "letters_before": letter_base})
                stats.rows["letter_texts"] += added
                run("letters", LETTER_SEARCH_TEXT_SQL, {"texts_before": text_base})
                letter_base += added
                text_base += added
            log(f"  cases {hi:>9,}/{cases:,}  work items {stats.rows['work_items']:>10,}  "
                f"events {stats.rows['case_events']:>10,}  {time.perf_counter() - load_start:6.1f}s")
        cur.execute("DROP TABLE IF EXISTS bench_batch")

        def restore_all() -> None:
            for name, table, _kind, definition in sorted(constraints, key=lambda c: c[2] == "f"):
                if _kind != "f":
                    cur.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
            for _name, definition in indexes:
                cur.execute(definition)
                log(f"    {_name}")
            for name, table, _kind, definition in constraints:
                if _kind == "f":
                    cur.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
            for table in BIG_TABLES:
                cur.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
                cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

        log("  recreating primary keys, unique constraints, indexes and foreign keys ...")
        timed("recreate indexes", restore_all)
        if _ddl(cur) != (constraints, indexes):
            raise RuntimeError("the recreated constraints and indexes differ from the migrated schema")
        log(f"  {len(constraints)} constraints and {len(indexes)} indexes recreated, identical to the migration "
            f"({stats.seconds['recreate indexes']:.1f}s)")

        def reset_sequences() -> None:
            for table in BIG_TABLES:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")

        timed("sequences", reset_sequences)

        def vacuum_analyze() -> None:
            for table in BIG_TABLES:
                cur.execute(f"VACUUM (ANALYZE) {table}")

        timed("vacuum analyze", vacuum_analyze)
        log(f"  VACUUM (ANALYZE) in {stats.seconds['vacuum analyze']:.1f}s; sequences reset")
    return stats


def describe(stats: LoadStats) -> str:
    """One line: rows per table and the time."""
    rows = ", ".join(f"{table} {count:,}" for table, count in stats.rows.items() if count)
    return f"{rows} in {stats.total_seconds:.1f}s"


