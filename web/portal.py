"""The contractor portal: one work order behind a signed link, reported on from a phone without an account."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from engine.clock import utcnow
from engine.db import db
from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.i18n import N_
from engine.workitems import validate_form
from handlers import contractor_links
from handlers.calendar import CITY_TZ
from handlers.contractor_links import LinkError, Photo
from handlers.files import MAX_BYTES
from handlers.models import ContractorOrder

from .i18n import translate
from .photo_upload import checked_photo
from .rate_limits import count_request, too_many_text

bp = Blueprint("portal", __name__)

MAX_PHOTOS = 5
MAX_NOTE = 4000
RESULTS = ("planned", "done", "refused")
# Phone photos are larger than the app-wide request limit; only a genuine link may send this much.
MAX_UPLOAD = MAX_PHOTOS * MAX_BYTES + 1024 * 1024
HEADERS = {"X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
STATUS_TEXT = {"open": N_("Wacht op uw antwoord"), "planned": N_("Gepland"), "done": N_("Uitgevoerd"),
               "refused": N_("Geweigerd")}
CONFIRMATION = {"planned": N_("Bedankt. De geplande datum is doorgegeven aan de stad."),
                "done": N_("Bedankt. De stad weet nu dat de werken uitgevoerd zijn."),
                "refused": N_("Uw weigering is doorgegeven aan de stad. Zij zoeken een andere oplossing.")}
LINK_TEXT = {"invalid": (N_("Ongeldige link"), N_("Deze link is ongeldig. Controleer of u de volledige link uit de "
                         "e-mail gebruikt. Lukt het niet, neem dan contact op met de stad.")),
             "expired": (N_("Link verlopen"), N_("Deze link is verlopen. Vraag de stad om een nieuwe link naar de "
                         "opdracht.")),
             "gone": (N_("Opdracht niet meer beschikbaar"), N_("Deze opdracht bestaat niet meer. Neem contact op met "
                      "de stad als u denkt dat dit niet klopt."))}


@bp.url_value_preprocessor
def _check_link_before_the_body(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the app-wide CSRF check, which is the first to read the request body: a dead link
    # gets its own page rather than "form expired", and only a genuine link may send phone photos.
    if request.method == "POST" and values is not None:
        contractor_links.check_token(values.get("token", ""))
        request.max_content_length = MAX_UPLOAD


@bp.after_request
def _privacy_headers(response):
    response.headers.update(HEADERS)
    return response


@bp.errorhandler(LinkError)
def _link_error(err: LinkError):
    title, text = LINK_TEXT[err.reason]
    return render_template("portal/link_error.html", title=translate(title), text=translate(text)), err.status_code


@bp.errorhandler(CSRFError)
def _csrf_error(_err: CSRFError):
    # Typically a page left open on a phone for hours: give the form back, with what was typed.
    try:
        order = contractor_links.read_token((request.view_args or {}).get("token", ""))
    except LinkError as err:
        return _link_error(err)
    action = request.form.get("result")
    action = action if action in RESULTS else None
    again = " " + translate("Kies de foto's opnieuw.") if action == "done" else ""
    errors = {"_form": [translate("Het formulier was verlopen of onvolledig; er werd niets opgeslagen. Controleer uw "
                                  "gegevens en verstuur opnieuw.") + again]}
    values = {name: request.form.get(name, "").strip() for name in ("planned_for", "note")}
    return render_order(order, action=action, errors=errors, values=values, status=400)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_err: RequestEntityTooLarge):
    try:
        order = contractor_links.read_token((request.view_args or {}).get("token", ""))
    except LinkError as err:
        return _link_error(err)
    errors = {"photos": [translate("De foto's zijn samen te groot. Stuur er minder of kleinere (maximaal "
                                   "{megabytes} MB per foto).", megabytes=MAX_BYTES // (1024 * 1024))]}
    return render_order(order, action="done", errors=errors, status=413)


def today() -> date:
    """Today in the city, which decides whether a planned date lies in the past."""
    return utcnow().astimezone(CITY_TZ).date()


def render_order(order: ContractorOrder, *, action: str | None = None, errors: dict | None = None,
                 values: dict | None = None, notice: str | None = None, status: int = 200):
    """The order page; `action` names the form that gets `values` and `errors` back."""
    case = order.case
    return render_template(
        "portal/order.html", order=order, case=case, description=contractor_links.description_for_contractor(case),
        history=contractor_links.order_history(order), can_report=contractor_links.is_current(order),
        status_text={key: translate(text) for key, text in STATUS_TEXT.items()}, action=action,
        errors=errors or {}, values=values or {}, notice=notice,
        confirmation=_confirmation(request.args.get("gemeld", "")), today=today().isoformat(),
        max_photos=MAX_PHOTOS, show_date=show_date), status


def _confirmation(result: str) -> str | None:
    """The thank-you line after a report, in the reader's language."""
    text = CONFIRMATION.get(result)
    return translate(text) if text else None


def show_date(value: str | None) -> str:
    """An ISO date as the Flemish reader expects it (dd/mm/jjjj)."""
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""
    except ValueError:
        return value or ""


@bp.get("/opdracht/<token>")
def order(token: str):
    """Show the work order behind a contractor's link, its status and the reports so far."""
    return render_order(contractor_links.read_token(token))


def _parse_date(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):  # a phone gives ISO; a plain text field, Flemish
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _read_photos(errors: dict[str, list[str]]) -> list[Photo]:
    """The chosen photos, re-encoded without metadata (GPS, camera); a wrong type, size or pixel count is
    reported by file name, before anything is stored."""
    uploads = [(upload.read(), upload.filename or "foto") for upload in request.files.getlist("photos")]
    uploads = [(content, name) for content, name in uploads if content or name != "foto"]  # a browser's empty part
    if len(uploads) > MAX_PHOTOS:  # before decoding any of them
        errors.setdefault("photos", []).append(translate("U kunt maximaal {count} foto's meesturen.",
                                                         count=MAX_PHOTOS))
        return []
    photos = []
    for content, name in uploads:
        photo = checked_photo(content, name)
        if isinstance(photo, str):
            errors.setdefault("photos", []).append(photo)
        else:
            photos.append(Photo(photo, name))
    return photos


def parse_report(action: str) -> tuple[dict[str, Any], list[Photo], dict[str, list[str]], dict[str, str]]:
    """The report payload, photos, Dutch field errors and what was typed, for one of the three forms."""
    values = {"planned_for": request.form.get("planned_for", "").strip(), "note": request.form.get("note", "").strip()}
    errors: dict[str, list[str]] = {}
    payload: dict[str, Any] = {"result": action}
    if action == "planned":
        planned = _parse_date(values["planned_for"]) if values["planned_for"] else None
        if not values["planned_for"]:
            errors["planned_for"] = [translate("Vul de datum in waarop de werken gepland zijn.")]
        elif planned is None:
            errors["planned_for"] = [translate("Dit is geen geldige datum. Gebruik dd/mm/jjjj.")]
        elif planned < today():
            errors["planned_for"] = [translate("De datum mag niet in het verleden liggen.")]
        else:
            payload["planned_for"] = planned.isoformat()
    if action == "refused" and not values["note"]:
        errors["note"] = [translate("Geef de reden waarom u de opdracht weigert.")]
    if len(values["note"]) > MAX_NOTE:
        errors.setdefault("note", []).append(translate("Uw tekst is te lang (maximaal {count} tekens).",
                                                       count=MAX_NOTE))
    if values["note"]:
        payload["note"] = values["note"]
    photos = _read_photos(errors) if action == "done" else []
    return payload, photos, errors, values


@bp.post("/opdracht/<token>")
def report(token: str):
    """Record the contractor's report (planned with a date, done with photos, refused with a reason)."""
    order = contractor_links.read_token(token)
    hit = count_request("public-post", "MELDPUNT_PUBLIC_POST_RATE")
    if not hit.allowed:  # the form again, with what was typed (photos must be chosen again)
        action = request.form.get("result")
        action = action if action in RESULTS else None
        again = " " + translate("Kies de foto's opnieuw.") if action == "done" else ""
        values = {name: request.form.get(name, "").strip() for name in ("planned_for", "note")}
        body, status = render_order(order, action=action, errors={"_form": [too_many_text(hit) + again]},
                                    values=values, status=429)
        return body, status, {"Retry-After": str(hit.retry_after)}
    if not contractor_links.is_current(order):
        return render_order(order, notice="closed", status=409)
    action = request.form.get("result", "")
    if action not in RESULTS:
        return render_order(order, errors={"_form": [translate("Kies wat u wilt melden.")]}, status=422)
    payload, photos, errors, values = parse_report(action)
    if not errors:
        try:
            report_data = validate_form("message:contractor_report", payload)
            contractor_links.report_on_order(order.id, report_data, photos)
        except InvalidInput as err:  # our own checks ran first, so this is a rare second line of defence
            errors = {name if name in ("planned_for", "note", "photos") else "_form":
                      [translate("Deze gegevens konden niet verwerkt worden. Controleer ze en probeer opnieuw.")]
                      for name in (err.fields or {"_form": []})}
        except Conflict:
            return render_order(_fresh(order.id), notice="closed", status=409)
        except NotFound as err:
            raise contractor_links.OrderGone("the case no longer exists") from err
        except EngineError:
            return render_order(_fresh(order.id), notice="failed", status=500)
    if errors:
        return render_order(order, action=action, errors=errors, values=values, status=422)
    return redirect(url_for(".order", token=token, gemeld=action), 303)


def _fresh(order_id: int) -> ContractorOrder:
    """The order as it is now, after a rolled-back attempt."""
    order = db.session.get(ContractorOrder, order_id, populate_existing=True)
    if order is None:
        raise contractor_links.OrderGone("the order no longer exists")
    return order
