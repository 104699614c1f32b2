"""What the busiest staff pages ask of the database, counted: a statement per category, per form or per row
that sneaks in shows here as a failing count (at a million cases each one costs every staff member on every
page; the HTTP load benchmark, benchmarks/http_load.py, prints the CPU a request costs)."""
from __future__ import annotations

from engine.db import db
from handlers.categories import forget_categories
from handlers.models import Category

from .helpers import Browser, statements_sent, with_password
from .test_ready_answers import in_handling, make_answers


def _more_categories(count: int) -> None:
    """`count` new main categories, each with one subcategory (a parent not loaded before)."""
    for n in range(count):
        parent = Category(key=f"extra-{n}", name=f"Extra {n}")
        db.session.add(parent)
        db.session.add(Category(key=f"extra-{n}-sub", name=f"Sub {n}", parent=parent))
    db.session.commit()
    forget_categories()  # what the admin's change does (handlers/category_admin.py); other processes within 30 s


def test_the_case_page_asks_as_much_with_five_more_categories_and_the_ready_answers_once(app, staff):
    make_answers(app, staff)
    reference = in_handling(staff, "sluikstort", staff.netheid)
    dina = Browser(app, staff.netheid.user.username, with_password(staff.netheid.user))
    page = f"/werk/dossier/{reference}"
    dina.get(page)
    with statements_sent() as before:
        response = dina.get(page)
    assert response.status_code == 200 and "Sluikstort opgeruimd" in response.get_data(as_text=True)

    _more_categories(5)
    with statements_sent() as after:
        text = dina.get(page).get_data(as_text=True)
    assert "Extra 4 › Sub 4" in text  # the new categories are offered on the page
    # the list of categories is cached (handlers/categories.py): after the change it is read again, in one statement
    assert len(after) == len(before) + 1, "\n".join(after)
    assert sum("FROM categories" in s for s in after) == 1, "\n".join(after)
    # the close and the question form both offer ready answers: one statement finds them for both
    assert sum("FROM ready_answers" in s for s in after) == 1, "\n".join(after)


def test_a_queue_page_asks_as_much_with_ten_rows_as_with_two(app, staff):
    for _ in range(2):
        in_handling(staff, "sluikstort", staff.netheid)
    dina = Browser(app, staff.netheid.user.username, with_password(staff.netheid.user))
    queue = "/werk/wachtrij/openbare-netheid"
    dina.get(queue)
    with statements_sent() as two:
        assert dina.get(queue).get_data(as_text=True).count("<tr data-reference=") == 2
    for _ in range(8):
        in_handling(staff, "sluikstort", staff.netheid)
    with statements_sent() as ten:
        assert dina.get(queue).get_data(as_text=True).count("<tr data-reference=") == 10
    assert len(ten) == len(two), "\n".join(ten)


def test_the_signed_in_user_comes_with_their_groups_in_one_statement(app, staff):
    in_handling(staff, "sluikstort", staff.netheid)
    dina = Browser(app, staff.netheid.user.username, with_password(staff.netheid.user))
    queue = "/werk/wachtrij/openbare-netheid"
    dina.get(queue)
    with statements_sent() as sent:
        assert dina.get(queue).status_code == 200
    # may() needs the user's groups on every staff page: loaded with the user, not by a statement of their own
    assert [s for s in sent if "memberships" in s and "FROM users" not in s] == [], "\n".join(sent)
    assert sum("FROM users" in s and "memberships" in s for s in sent) == 1, "\n".join(sent)


def test_an_api_request_finds_its_tokens_user_with_their_groups_in_one_statement(app, staff):
    """The token's user and the groups its rights depend on: one statement (the groups came in a second one)."""
    reference = staff.meldkamer.file_melding()["reference"]
    with app.app_context():
        with statements_sent() as sent:
            assert staff.meldkamer.get(f"/api/v1/cases/{reference}").status_code == 200
    users = [s for s in sent if "FROM users" in s or "memberships" in s]
    assert len(users) == 1 and "api_token_hash" in users[0] and "memberships" in users[0], "\n".join(sent)


def test_the_reporters_other_cases_come_without_their_process_state(app, staff):
    first = staff.meldkamer.file_melding(description="Eerste melding")["reference"]
    text, sent = _desk_case_page(app, staff, "Tweede melding")
    assert first in text  # listed under "Andere meldingen van deze melder"
    others = [s for s in sent if "cases.reporter_id = " in s and "ORDER BY cases.id DESC" in s]
    assert len(others) == 1 and "cases.state" not in others[0], "\n".join(sent)


def _desk_case_page(app, staff, description: str = "Lamp aan de Bruul stuk") -> tuple[str, list[str]]:
    """The text and statements of a new melding's case page as the meldkamer sees it (the second view)."""
    reference = staff.meldkamer.file_melding(description=description)["reference"]
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    page = f"/werk/dossier/{reference}"
    desk.get(page)
    with statements_sent() as sent:
        text = desk.get(page).get_data(as_text=True)
    assert "Els Melder" in text and staff.meldkamer.user.display_name in text
    return text, sent


def test_the_case_page_loads_the_reporter_with_the_case(app, staff):
    _, sent = _desk_case_page(app, staff)
    assert not [s for s in sent if s.startswith("SELECT reporters.")], "\n".join(sent)
    assert [s for s in sent if "FROM cases" in s and "reporters" in s and "cases.reference = " in s], "\n".join(sent)


def test_the_desks_staff_and_the_groups_members_who_may_get_a_task_are_one_statement(app, staff):
    _, sent = _desk_case_page(app, staff)
    assert sum("FROM users" in s for s in sent) == 2, "\n".join(sent)  # the signed-in user, the assignable ones
