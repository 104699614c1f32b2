"""The kinds of case and the channels a melding comes in by, told to the engine (which names none itself)."""
from __future__ import annotations

from engine import registry

CHANNELS = ("web", "telefoon", "balie", "app", "mail", "brief", "sociale_media")

# The letter a case's reference starts with, per kind of case: M2026-000042 is a melding.
REFERENCE_PREFIXES = {"melding": "M", "post": "P", "mail": "I", "contact": "C"}

for _kind, _prefix in REFERENCE_PREFIXES.items():
    registry.case_kind(_kind, reference_prefix=_prefix)

# What each channel puts in a new case's process data (the `data` of engine.runtime.start_case), per process:
# a melding starts without data (intake/meldingen.py, and an infomail turned into a melding,
# handlers/mail_actions.py); a letter with intake/post_intake.register_post's; a mail with
# intake/mail_intake's; a contact handed over with intake/contacts.register_contact's. The deploy checks accept
# these names in a model's conditions, timers and parameters.
START_DATA: dict[str, tuple[str, ...]] = {
    "melding": (),
    "post": ("letter_kind", "group", "deadline"),
    "infomail": ("subject", "acknowledge", "message_id", "from"),
    # a contact handed over to a group (intake/contacts.py): its group, answer deadline, who took the call, the
    # desk they took it for, and the warm-handover note
    "contact": ("group", "deadline", "taken_by", "desk", "note"),
}
for _key, _names in START_DATA.items():
    registry.process_start(_key, sets=_names)
