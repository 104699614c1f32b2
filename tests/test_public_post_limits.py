"""The other public POST endpoints are limited per client too: the feedback page and the contractor portal
(MELDPUNT_PUBLIC_POST_RATE) give their form back with what was typed, Open311 answers 429 in its own format."""
from __future__ import annotations

import html

from .test_contractor_portal import ContractorPhone, order_work, portal_path
from .test_feedback_page import Citizen, close_melding, links


def test_the_feedback_page_refuses_a_flood_and_keeps_the_comment(app, staff):
    app.config["MELDPUNT_PUBLIC_POST_RATE"] = "2/600"
    yes, _no = links(close_melding(staff))
    citizen = Citizen(app)
    citizen.open(yes)
    for _ in range(2):  # an answer without a choice comes back with its error, and counts
        assert citizen.send({"tevreden": "", "opmerking": "eerste poging"}).status_code == 422
    response = citizen.send({"tevreden": "nee", "antwoord_nee": "andere", "opmerking": "De lamp <flikkert> nog"})
    assert response.status_code == 429 and 590 <= int(response.headers["Retry-After"]) <= 600
    page = response.get_data(as_text=True)
    assert "Te veel pogingen vanaf deze verbinding. Er werd niets verstuurd; probeer het opnieuw over 10 minuten." \
        in page
    assert html.escape("De lamp <flikkert> nog", quote=False) in page
    neighbour = Citizen(app)
    neighbour.client.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    with app.app_context():  # its own request context: the CSRF token of its own session
        neighbour.open(yes)
    with app.app_context():
        assert neighbour.send({"tevreden": "ja"}).status_code == 200  # another connection answers normally


def test_the_contractor_portal_refuses_a_flood_and_keeps_the_note(app, staff):
    app.config["MELDPUNT_PUBLIC_POST_RATE"] = "2/600"
    phone = ContractorPhone(app, portal_path(order_work(staff)))
    for _ in range(2):
        assert phone.plan("").status_code == 422
    response = phone.refuse("Geen toegang tot de paal: werf van de buren")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "Te veel pogingen vanaf deze verbinding" in page
    assert "Geen toegang tot de paal: werf van de buren" in page


def test_open311_answers_429_in_its_own_format(app, client):
    app.config["MELDPUNT_OPEN311_RATE"] = "2/60"
    for _ in range(2):
        assert client.post("/open311/v2/requests.json", data={"api_key": "fout"}).status_code == 403
    response = client.post("/open311/v2/requests.json", data={"api_key": "fout"})
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 60
    assert response.get_json() == [{"code": 429, "description": response.get_json()[0]["description"]}]
    assert "try again in" in response.get_json()[0]["description"]
    xml = client.post("/open311/v2/requests.xml", data={"api_key": "fout"})
    assert xml.status_code == 429 and "<code>429</code>" in xml.get_data(as_text=True)
