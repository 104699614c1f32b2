"""The public report form at /melden: find a category in plain words, then describe the problem.

Works without JavaScript and on a phone. Step 1 (GET /melden?zoek=...) lists matching sub categories;
step 2 (GET /melden?categorie=...) is the form itself; POST /melden checks everything (photos by their
content) before anything is created, registers the melding and redirects (303) to a confirmation page.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from engine.db import db
from engine.errors import InvalidInput
from engine.models import Case, CaseFile
from handlers.files import MAX_BYTES, store_file
from handlers.models import Category
from handlers.photos import CleanImage
from handlers.storage import StorageUnavailable
from intake.category_search import active_sub_categories, search
from intake.melding_schema import MAX_DESCRIPTION, MIN_DESCRIPTION, MeldingSchema, Problem, problems
from intake.meldingen import register_melding
from notifications.outbox import tracking_url

from . import form_tokens
from .i18n import current_language, translate
from .input_guard import UnstorableText, cleaned, unstorable_response
from .outage import give_back_on_outage
from .photo_upload import MAX_PHOTOS, PHOTO_TYPES, read_photos
from .rate_limits import count_request, minutes, undo

log = logging.getLogger(__name__)

bp = Blueprint("report", __name__)

MAX_SEARCH = 200
# Phone photos are far larger than the app-wide request limit (1 MB); only this form's POST may send them.
MAX_UPLOAD = MAX_PHOTOS * MAX_BYTES + 1024 * 1024
NO_CATEGORY = "geen"
FIELDS = ("categorie", "address", "lat", "lon", "description", "name", "email", "phone")
HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def receives_report_form(blueprint: Blueprint, endpoint: str) -> None:
    """On a blueprint whose `endpoint` receives the report form: its photos' size, and the privacy headers."""

    @blueprint.url_value_preprocessor
    def _allow_photos(name: Optional[str], _values: Optional[dict[str, Any]]) -> None:
        # Runs before the app-wide CSRF check, which is the first to read the body.
        if request.method == "POST" and name == endpoint:
            request.max_content_length = MAX_UPLOAD

    @blueprint.after_request
    def _privacy_headers(response):
        response.headers.update(HEADERS)
        return response


receives_report_form(bp, "report.submit")


@dataclass
class Chosen:
    """The category the citizen chose (None: "Ik vind mijn categorie niet")."""

    key: Optional[str]
    name: Optional[str]
    parent_name: Optional[str]
    allow_anonymous: bool = True  # the category lets citizens report without contact data


def chosen_category(key: str) -> Optional[Chosen]:
    """The active sub category behind `key`, Chosen(None...) for "geen", None when unknown."""
    if not key or key == NO_CATEGORY:
        return Chosen(None, None, None)
    row = db.session.scalar(select(Category).where(Category.key == key, Category.active.is_(True),
                                                   Category.public.is_(True), Category.parent_id.is_not(None)))
    if row is None or (row.parent is not None and not (row.parent.active and row.parent.public)):
        return None
    return Chosen(row.key, row.name, row.parent.name if row.parent else None, bool(row.allow_anonymous))


def all_categories() -> list[tuple[str, list[Category]]]:
    """Active sub categories grouped by main category, for browsing without a search."""
    groups: dict[str, list[Category]] = {}
    for category, parent_name in active_sub_categories():
        groups.setdefault(parent_name, []).append(category)
    return list(groups.items())


def render_form(chosen: Chosen, *, values: Optional[dict] = None, errors: Optional[dict] = None,
                photos_lost: bool = False, status: int = 200, too_many: Optional[dict] = None):
    return render_template("report/form.html", chosen=chosen, values=values or {}, errors=errors or {},
                           photos_lost=photos_lost, max_photos=MAX_PHOTOS, min_description=MIN_DESCRIPTION,
                           max_description=MAX_DESCRIPTION, no_category=NO_CATEGORY, too_many=too_many), status


@bp.get("/melden")
def start():
    """Step 1 (search and choose a category) or, with ?categorie=, step 2 (the form)."""
    key = request.args.get("categorie", "").strip()
    if key:
        chosen = chosen_category(key)
        if chosen is not None:  # the page's one-time token lives in its URL, so the back button keeps it
            return form_tokens.page_with_token("melding") or render_form(chosen)
        notice = translate("Deze categorie bestaat niet (meer). Kies een andere categorie.")
    else:
        notice = None
    query = request.args.get("zoek", "").strip()[:MAX_SEARCH]
    matches = search(query) if query else []
    return render_template("report/search.html", query=query, matches=matches, searched=bool(query),
                           groups=all_categories(), notice=notice, no_category=NO_CATEGORY)


def _read_photos(errors: dict[str, list[str]]) -> list[tuple[CleanImage, str]]:
    """The chosen photos, checked by their content, size and pixels and re-encoded without metadata."""
    return read_photos(errors, "photos", MAX_PHOTOS)


# Where the schema's field paths show on this form.
FORM_FIELDS = {("description",): "description", ("location", "address"): "address", ("location", "lat"): "lat",
               ("location", "lon"): "lon", ("reporter", "name"): "name", ("reporter", "email"): "email",
               ("reporter", "phone"): "phone"}


def worded(message: Any) -> str:
    """A schema message in the reader's language (a Problem carries its template)."""
    if not isinstance(message, Problem):
        return translate("Uw melding kon niet verwerkt worden. Controleer uw gegevens en probeer opnieuw.")
    params = {k: translate(v) if k in ("label", "city") else v for k, v in message.params.items()}
    return translate(message.template, **params)


def parse_form(anonymous_allowed: bool = False) -> tuple[dict[str, Any], list[tuple[CleanImage, str]],
                                                         dict[str, list[str]], dict[str, str]]:
    """The melding's data, the photos, Dutch field errors and what was typed (to give back); without an e-mail
    address and a phone number the melding is anonymous, which the category must allow (`anonymous_allowed`)."""
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    errors: dict[str, list[str]] = {}
    raw = {"description": request.form.get("description", ""), "channel": "web",
           "location": {"address": values["address"], "lat": values["lat"], "lon": values["lon"]},
           "reporter": {"name": values["name"], "email": values["email"], "phone": values["phone"],
                        "language": current_language()}}
    try:
        data = MeldingSchema(require_location=True).load(raw)
    except ValidationError as err:
        data = {"description": "", "location": {}, "reporter": {}}
        for path, message in problems(err.messages):
            errors.setdefault(FORM_FIELDS.get(path, "_form"), [worded(message)])
    if not values["email"] and not values["phone"] and not anonymous_allowed:
        errors["contact"] = [translate("Geef een e-mailadres of een telefoonnummer, zodat we u kunnen "
                                       "bereiken. Met een e-mailadres krijgt u ook mails over de status.")]
    photos = _read_photos(errors)
    return data, photos, errors, values


def _too_many(wait: int, limit: int):
    """429: the form again with everything typed (photos cannot be given back), and when to try again."""
    chosen = chosen_category(request.form.get("categorie", "").strip()) or Chosen(None, None, None)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    body, status = render_form(chosen, values=values, photos_lost=any(u.filename for u in request.files.getlist(
        "photos")), status=429, too_many={"count": limit, "minutes": minutes(wait)})
    return body, status, {"Retry-After": str(wait)}


@bp.post("/melden")
def submit():
    """Check the form; on errors give it back (422) with what was typed; else register and confirm."""
    sent = form_tokens.posted("melding")  # sent before (back button, double click): its confirmation
    if sent.token is not None and (earlier := sent.token.earlier()) is not None:
        return _already_sent(earlier)
    hit = count_request("report", "MELDPUNT_REPORT_RATE")  # shared by every process (web/rate_limits.py)
    if not hit.allowed:
        return _too_many(hit.retry_after, hit.count)
    chosen = chosen_category(request.form.get("categorie", "").strip())
    data, photos, errors, values = parse_form(anonymous_allowed=chosen is not None and chosen.allow_anonymous)
    if chosen is None:
        errors["categorie"] = [translate("Deze categorie bestaat niet (meer). Kies een andere categorie.")]
        chosen = Chosen(None, None, None)
    if sent.invalid:
        errors["_form"] = [translate("Het formulier was verlopen; er werd niets opgeslagen. Controleer uw gegevens en "
                                     "verstuur opnieuw.")]
    case = None
    status = 422
    if not errors:
        try:
            case, earlier = register_once(sent.token, chosen, data, photos)
            if earlier is not None:  # the same form at the same moment, from another request
                undo("report", hit)
                return _already_sent(earlier)
        except InvalidInput:
            db.session.rollback()
            errors["_form"] = [translate("Uw melding kon niet verwerkt worden. Controleer uw gegevens en "
                                         "probeer opnieuw.")]
        except StorageUnavailable:  # logged with its reason; the rollback removes photos already written
            db.session.rollback()
            status = 503
            errors["_form"] = [translate("Uw foto's konden nu niet bewaard worden; uw melding werd nog niet "
                                         "opgeslagen. Verstuur het formulier over enkele minuten opnieuw.")]
    if errors:
        undo("report", hit)  # only meldingen that were made count towards the limit
        sent_photos = any(u.filename for u in request.files.getlist("photos"))
        return render_form(chosen, values=values, errors=errors, photos_lost=sent_photos, status=status)
    return redirect(url_for(".confirmation", token=case.tracking_token), 303)


def register_once(token: Optional[form_tokens.FormToken], chosen: Chosen, data: dict[str, Any],
                  photos: list[tuple[CleanImage, str]]) -> tuple[Optional[Case], Any]:
    """Register the melding with its photos and the form's token in one transaction: (case, None), or
    (None, the earlier use) when another request with the same token was first."""
    claim = token.claim() if token is not None else None
    if claim is not None and claim.earlier is not None:
        return None, claim.earlier
    case = register_melding(description=data["description"], channel="web", category=chosen.key,
                            location=data["location"], reporter=data["reporter"], actor="melder", commit=False)
    for photo, name in photos:  # already checked and cleaned, so this only writes them
        # Not public: staff publish a photo on the case page when it shows nobody and nothing private.
        store_file(case, photo, name, source="melder", uploaded_by="melder", public=False,
                   allowed=PHOTO_TYPES, field="photos")
    if claim is not None:
        claim.record(case=case.reference)
    db.session.commit()
    return case, None


def _already_sent(earlier) -> Any:
    """The confirmation of the melding this form made the first time, with a note that it was sent before."""
    reference = (earlier.result or {}).get("case")
    case = db.session.scalar(select(Case).where(Case.reference == reference)) if reference else None
    if case is None:  # anonymised or gone: say so rather than make it again
        return render_template("error.html", message=translate("Deze melding was al verstuurd."), code=409), 409
    return redirect(url_for(".confirmation", token=case.tracking_token, opnieuw=1), 303)


@bp.get("/melden/ontvangen/<token>")
def confirmation(token: str):
    """Thank you: the reference and the tracking link (the tracking token is the only key)."""
    case = db.session.scalar(select(Case).where(Case.tracking_token == token)) if len(token) >= 22 else None
    if case is None:
        return render_template("error.html", message=translate("Deze pagina bestaat niet."), code=404), 404
    email = case.reporter.email if case.reporter is not None else None
    return render_template("report/confirmation.html", case=case, tracking_url=tracking_url(case),
                           has_email=bool(email), anonymous=case.anonymous, photo_count=len(case_photos(case)),
                           sent_before=request.args.get("opnieuw") == "1")


def case_photos(case: Case) -> list[CaseFile]:
    return list(db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id)))


@bp.errorhandler(CSRFError)
def _csrf_error(_err: CSRFError):
    # Typically a form left open for hours: give it back with what was typed, nothing was created.
    chosen = chosen_category(request.form.get("categorie", "").strip()) or Chosen(None, None, None)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    errors = {"_form": [translate("Het formulier was verlopen of onvolledig; er werd niets opgeslagen. Controleer "
                                  "uw gegevens en verstuur opnieuw.")]}
    return render_form(chosen, values=values, errors=errors,
                       photos_lost=any(u.filename for u in request.files.getlist("photos")), status=400)


@give_back_on_outage("report.submit")
def _form_during_outage():
    # The database is away (web/outage.py answers 503): show the form again with what was typed. The
    # category's name cannot be looked up now, so its key stands in for it.
    key = request.form.get("categorie", "").strip()
    chosen = Chosen(key, key, None) if key and key != NO_CATEGORY else Chosen(None, None, None)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    errors = {"_form": [translate("De databank is even niet bereikbaar; uw melding werd nog niet bewaard. "
                                  "Verstuur het formulier over een minuut opnieuw.")]}
    return render_form(chosen, values=values, errors=errors,
                       photos_lost=any(u.filename for u in request.files.getlist("photos")), status=503)


@bp.errorhandler(UnstorableText)
def _unstorable(err: UnstorableText):
    # A NUL character (pasted, or sent by a script): give the form back without it, the field marked.
    if request.method != "POST":
        return unstorable_response(err)
    chosen = chosen_category(cleaned(request.form.get("categorie", "")).strip()) or Chosen(None, None, None)
    values = {name: cleaned(request.form.get(name, "")).strip() for name in FIELDS}
    text = translate("Dit veld bevatte een teken dat we niet kunnen bewaren (een nul-teken); we hebben het "
                     "weggelaten. Controleer de tekst en verstuur opnieuw.")
    errors = {name if name in FIELDS and name != "categorie" else "photos" if name == "photos" else "_form": [text]
              for name in err.fields}
    return render_form(chosen, values=values, errors=errors,
                       photos_lost=any(u.filename for u in request.files.getlist("photos")), status=400)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_err: RequestEntityTooLarge):
    # The body was not read, so nothing typed can be given back; say so plainly.
    chosen = chosen_category(request.args.get("categorie", "")) or Chosen(None, None, None)
    errors = {"photos": [translate("De foto's zijn samen te groot. Stuur er minder of kleinere (maximaal "
                                   "{megabytes} MB per foto).", megabytes=MAX_BYTES // (1024 * 1024))],
              "_form": [translate("Uw melding werd niet verstuurd. Vul het formulier opnieuw in.")]}
    return render_form(chosen, errors=errors, photos_lost=True, status=413)
