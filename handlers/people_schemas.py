"""The rules for staff users and groups (handler groups, the meldkamer desk, contractors), as marshmallow schemas.

Messages are Dutch: the administrator reads them next to the field (marked for the catalogue; a message with a
limit is a Phrase, which a page translates by its template). E-mail addresses of staff and contractors
are checked by email-validator (syntax only, no DNS lookups) and stored normalised.
"""
from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validates_schema
from sqlalchemy import select

from engine.db import db
from engine.i18n import N_, Phrase

from .models import GROUP_KINDS, ROLES, HandlerGroup, User

USERNAME = re.compile(r"^[a-z0-9._-]{2,80}$")
KEY = re.compile(r"^[a-z0-9-]{2,60}$")
MIN_PASSWORD = 10
MAX_EMAIL, MAX_NAME = 254, 200
BAD_EMAIL = N_("dit e-mailadres klopt niet; schrijf het als naam@voorbeeld.be")


def staff_email(address: str) -> str:
    """A staff or contractor address, normalised by email-validator; ValidationError (Dutch) when it is no address."""
    if len(address) > MAX_EMAIL:
        raise ValidationError(BAD_EMAIL)
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(BAD_EMAIL) from None


class _Form(Schema):
    """Form text: every value but a password stripped; unknown fields are ignored (the CSRF token comes along).

    Load with `new=True` for a new row (then its key fields are required and must be free)."""

    class Meta:
        unknown = EXCLUDE

    def __init__(self, *, new: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.new = new

    @pre_load
    def strip(self, data: dict, **kwargs: Any) -> dict:
        return {k: v.strip() if isinstance(v, str) and k != "password" else v for k, v in data.items()}


def _name(data: dict, field: str, errors: dict[str, list[str]]) -> None:
    """A name is given and at most MAX_NAME characters."""
    if not data[field]:
        errors[field] = [N_("vul een naam in")]
    elif len(data[field]) > MAX_NAME:
        errors[field] = [Phrase(N_("hoogstens {limit} tekens"), limit=MAX_NAME)]


def _email(data: dict, errors: dict[str, list[str]], required: str = "") -> None:
    """Check and normalise data["email"] in place: None when empty (an error when `required` says why)."""
    address = data.get("email") or ""
    if not address:
        data["email"] = None
        if required:
            errors["email"] = [required]
        return
    try:
        data["email"] = staff_email(address)
    except ValidationError as err:
        errors["email"] = list(err.messages)


class UserSchema(_Form):
    """A staff user. Load with `new=True` for a new one (username and password required)."""

    username = fields.String(load_default="")
    display_name = fields.String(load_default="")
    email = fields.String(load_default="")
    role = fields.String(load_default="")
    groups = fields.List(fields.String(), load_default=list)
    active = fields.Boolean(load_default=False)
    password = fields.String(load_default="")

    @validates_schema
    def check(self, data: dict, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        data["username"] = data["username"].lower()
        if self.new:
            if not USERNAME.match(data["username"]):
                errors["username"] = [N_("2-80 kleine letters, cijfers, punt, streepje of underscore")]
            elif db.session.scalar(select(User.id).where(User.username == data["username"])):
                errors["username"] = [N_("deze gebruikersnaam bestaat al")]
            if not data["password"]:
                errors["password"] = [N_("kies een wachtwoord")]
        _name(data, "display_name", errors)
        _email(data, errors)
        if data["role"] not in ROLES:
            errors["role"] = [N_("kies een rol")]
        if data["password"] and len(data["password"]) < MIN_PASSWORD:
            errors["password"] = [Phrase(N_("minstens {limit} tekens"), limit=MIN_PASSWORD)]
        keys = set(data["groups"])
        found = list(db.session.scalars(select(HandlerGroup).where(HandlerGroup.key.in_(keys)))) if keys else []
        if len(found) != len(keys):
            errors["groups"] = [N_("onbekende groep")]
        data["groups"] = found
        if errors:
            raise ValidationError(errors)


class GroupSchema(_Form):
    """A handler group, the meldkamer desk or a contractor. Load with `new=True` for a new one (key required)."""

    key = fields.String(load_default="")
    name = fields.String(load_default="")
    kind = fields.String(load_default="")
    email = fields.String(load_default="")
    active = fields.Boolean(load_default=False)

    @validates_schema
    def check(self, data: dict, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        data["key"] = data["key"].lower()
        if self.new:
            if not KEY.match(data["key"]):
                errors["key"] = [N_("2-60 kleine letters, cijfers of streepjes")]
            elif db.session.scalar(select(HandlerGroup.id).where(HandlerGroup.key == data["key"])):
                errors["key"] = [N_("deze sleutel bestaat al")]
        _name(data, "name", errors)
        if data["kind"] not in GROUP_KINDS:
            errors["kind"] = [N_("kies een soort")]
        _email(data, errors, required=N_("een aannemer heeft een e-mailadres nodig voor zijn opdrachten")
               if data["kind"] == "external" else "")
        if errors:
            raise ValidationError(errors)
