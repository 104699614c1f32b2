"""The rules for registering a letter (handlers/post_registration.py): limits at their boundaries and a Dutch
message per field, all at once."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from handlers.post_deadlines import MAX_DAYS
from handlers.post_registration import MAX_ADDRESS, MAX_NAME, MAX_SUBJECT, MSG, RegistrationSchema

from .test_post_support import form


def load(suggestion: str | None = None, **changes) -> dict:
    return RegistrationSchema(suggest=lambda _subject: suggestion).load(form(**changes))


def errors_of(suggestion: str | None = None, **changes) -> dict:
    with pytest.raises(ValidationError) as caught:
        load(suggestion, **changes)
    return caught.value.messages


@pytest.mark.parametrize("field, limit, message", [("sender_name", MAX_NAME, MSG["name_long"]),
                                                    ("sender_address", MAX_ADDRESS, MSG["address_long"]),
                                                    ("subject", MAX_SUBJECT, MSG["subject_long"])])
def test_text_limits_at_their_boundary(app, field, limit, message):
    assert load(**{field: "x" * limit})[field] == "x" * limit
    assert errors_of(**{field: "x" * (limit + 1)}) == {field: [message]}


@pytest.mark.parametrize("days, refused", [("1", False), (str(MAX_DAYS), False), ("0", True),
                                           (str(MAX_DAYS + 1), True), ("-5", True), ("tien", True)])
def test_the_answer_term_runs_from_1_to_365_days(app, days, refused):
    if refused:
        assert errors_of(deadline_days=days) == {"deadline_days": [MSG["days"]]}
    else:
        assert load(deadline_days=days)["term"].days == int(days)


@pytest.mark.parametrize("changes, field, message", [
    ({"received_on": ""}, "received_on", MSG["received"]),
    ({"deadline_unit": "maanden"}, "deadline_unit", MSG["unit"]),
    ({"sender_email": "els@@voorbeeld.example"}, "sender_email", MSG["email"]),
    ({"group": "meldkamer"}, "group", MSG["group"]),
    ({"group": ""}, "group", MSG["group_none"]),
])
def test_each_rule_has_its_dutch_message(app, changes, field, message):
    assert errors_of(**changes) == {field: [message]}


def test_the_routing_rules_suggestion_stands_in_for_an_empty_group(app):
    assert load("onderhoud-openbaar-domein", group="")["group_key"] == "onderhoud-openbaar-domein"


def test_what_is_typed_is_cleaned(app):
    clean = load(sender_name="  Els Peeters ", sender_email=" els@VOORBEELD.example ", kind="ter_info",
                 registered_mail="on")
    assert (clean["sender_name"], clean["sender_email"]) == ("Els Peeters", "els@voorbeeld.example")
    assert clean["term"] is None and clean["registered_mail"] is True
