"""The kinds of case and the channels a melding comes in by, told to the engine (which names none itself)."""
from __future__ import annotations

from engine import registry

CHANNELS = ("web", "telefoon", "balie", "app", "mail", "brief", "sociale_media")

# The letter a case's reference starts with, per kind of case: M2026-000042 is a melding.
REFERENCE_PREFIXES = {"melding": "M", "post": "P", "mail": "I"}

for _kind, _prefix in REFERENCE_PREFIXES.items():
    registry.case_kind(_kind, reference_prefix=_prefix)
