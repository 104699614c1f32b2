"""The staff API never answers a server error: schemathesis over every operation of /api/openapi.json, with
the token of each role, schema-valid and schema-violating data, on SQLite and PostgreSQL.

Bounded (MAX_EXAMPLES per operation, role and mode) and deterministic (derandomized, no example database),
so CI sees the same requests every run. Besides "not a server error", every answer must match the
document: a documented status code and a body that fits its response schema. Path parameters are drawn at
random and, in a second pass, fixed to a real case and a real open work item, so the fuzzer also reaches
past the 404s into completing tasks and delivering messages.
"""
from __future__ import annotations

import os

import pytest

from engine.db import db
from handlers.groups import group_by_key
from handlers.models import User

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

# Bounded for CI; MELDPUNT_FUZZ_EXAMPLES=500 makes a longer run (the same derandomized start, more examples).
MAX_EXAMPLES = int(os.environ.get("MELDPUNT_FUZZ_EXAMPLES", "12"))
ROLES = {"admin": None, "meldkamer": None, "behandelaar": "onderhoud-openbaar-domein", "rapportage": None,
         "onthaal": None}


@pytest.fixture
def tokens(app) -> dict[str, str]:
    tokens = {}
    for role, group in ROLES.items():
        user = User(username=f"fuzz-{role}", display_name=f"Fuzz {role}", role=role, email=f"{role}@stad.example")
        if group:
            user.groups.append(group_by_key(group))
        db.session.add(user)
        tokens[role] = user.issue_api_token()
    db.session.commit()
    return tokens


@pytest.fixture
def real_ids(client, tokens) -> dict[str, object]:
    """A melding dispatched to the handler group (open 'take_in_handling') and one waiting for triage."""
    headers = {"Authorization": f"Bearer {tokens['meldkamer']}"}
    body = {"description": "Straatlamp brandt niet", "channel": "telefoon", "category": "straatlamp-defect",
            "location": {"address": "Bruul 12, 2800 Mechelen"}, "reporter": {"email": "els@voorbeeld.example"}}
    first = client.post("/api/v1/meldingen", json=body, headers=headers).get_json()["reference"]
    triage = client.get(f"/api/v1/cases/{first}", headers=headers).get_json()["work_items"][0]["id"]
    client.post(f"/api/v1/work-items/{triage}/complete", json={"decision": "dispatch"}, headers=headers)
    second = client.post("/api/v1/meldingen", json=body, headers=headers).get_json()["reference"]
    item = client.get(f"/api/v1/cases/{second}", headers=headers).get_json()["work_items"][0]["id"]
    return {"reference": first, "id": item, "key": "sluikstort", "version": 1}


def fuzz(app, operation, mode, headers: dict, path_parameters: dict | None, seen: dict) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    strategy = operation.as_strategy(mode, headers=headers, path_parameters=path_parameters)

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        response = case.call_and_validate(app=app, checks=[not_a_server_error, status_code_conformance,
                                                           content_type_conformance, response_schema_conformance])
        seen.setdefault(f"{operation.method.upper()} {operation.path}", set()).add(response.status_code)
        db.session.rollback()

    check()


def test_no_operation_answers_a_server_error_for_any_role(app, client, tokens, real_ids):
    from schemathesis import GenerationMode

    document = client.get("/api/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 19
    seen: dict[str, set[int]] = {}
    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        ids = dict(real_ids, key="melding") if operation.path.startswith("/api/v1/processes") else real_ids
        passes = [None] + ([{name: ids[name] for name in names}] if names else [])
        for token in tokens.values():
            for path_parameters in passes:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    fixed = path_parameters or not names
                    if mode == GenerationMode.NEGATIVE and fixed and (operation.method == "get" and path_parameters or (
                            not list(operation.body) and not list(operation.query))):
                        continue  # path fixed: a GET, or a call without body or query, has nothing to get wrong
                    fuzz(app, operation, mode, {"Authorization": f"Bearer {token}"}, path_parameters, seen)
    # every operation was reached, and not only its errors
    assert len(seen) == 19
    for label in ("GET /api/v1/cases/{reference}", "GET /api/v1/work-items", "GET /api/v1/outbox",
                  "GET /api/v1/cases/nearby", "GET /api/v1/categories", "PATCH /api/v1/categories/{key}",
                  "GET /api/v1/contacts"):
        assert 200 in seen[label], (label, seen[label])
