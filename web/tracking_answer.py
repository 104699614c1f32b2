"""The reporter's answer to the city's question, sent from the tracking page (POST /volg/<token>/antwoord).

The answer is the BPMN message `reporter_reaction`, exactly as a reply to the question mail delivers it
(handlers/reporter_answers.py): the clock restarts and the handling task goes back to whoever asked, marked
"antwoord ontvangen". Text of 1 to 4000 characters and up to three photos, checked as the report form checks
them (web/photo_upload.py: type from the content, size, count, pixels). A wrong answer gives the tracking page
back with the text typed and the messages in Dutch; a question already answered, answered too late or a
melding closed meanwhile gives a clear page that shows the text typed, so nothing is lost. The form carries a
one-time token (web/form_tokens.py): a double click delivers one answer and shows the thank-you page twice.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from engine.db import db
from engine.errors import Conflict, EngineError, InvalidInput
from engine.i18n import N_
from engine.models import Case
from handlers.files import MAX_BYTES
from handlers.reporter_answers import MAX_ANSWER, answer_question, waits_for_answer, why_closed

from . import form_tokens
from .i18n import translate
from .photo_upload import MAX_PHOTOS, photos_sent, read_photos
from .public import PRIVATE_HEADERS, TOKEN_MIN_LENGTH, tracking_page
from .rate_limits import count_request, too_many_text, undo

bp = Blueprint("tracking_answer", __name__)

MAX_UPLOAD = MAX_PHOTOS * MAX_BYTES + 1024 * 1024  # as the report form: phone photos are large
# Why the answer cannot be taken: title, text, HTTP status.
STOP_PAGES = {
    "answered": (N_("U hebt deze vraag al beantwoord"),
                 N_("We hebben uw antwoord op deze vraag al ontvangen. De behandelaar leest het en behandelt uw "
                    "melding verder."), 409),
    "too_late": (N_("De termijn om te antwoorden is voorbij"),
                 N_("We wachtten een tijd op uw antwoord en behandelen uw melding intussen verder met wat we "
                    "weten."), 410),
    "closed": (N_("Uw melding is afgesloten"),
               N_("Uw melding werd intussen afgesloten: er wordt geen antwoord meer op de vraag verwacht. Is het "
                  "probleem er nog? Doe dan gerust een nieuwe melding."), 409),
    "no_question": (N_("Er staat geen vraag open"),
                    N_("De stad wacht op dit moment niet op een antwoord van u over deze melding."), 409),
}


@bp.url_value_preprocessor
def _allow_photos(endpoint: Optional[str], _values: Optional[dict[str, Any]]) -> None:
    # Runs before the app-wide CSRF check, which is the first to read the body.
    if request.method == "POST" and endpoint == "tracking_answer.submit":
        request.max_content_length = MAX_UPLOAD


@bp.after_request
def _privacy_headers(response):
    response.headers.update(PRIVATE_HEADERS)
    return response


def _case(token: str) -> Optional[Case]:
    if len(token) < TOKEN_MIN_LENGTH:
        return None
    return db.session.scalar(select(Case).where(Case.tracking_token == token))


def _typed() -> str:
    return request.form.get("antwoord", "").replace("\r\n", "\n").strip()


def stop_page(reason: str, case: Case, token: str, typed: str):
    """The page for an answer that cannot be taken: why, and the text typed, to copy (nothing is lost)."""
    title, text, status = STOP_PAGES[reason]
    return render_template("tracking_answer_stop.html", title=translate(title), text=translate(text), reason=reason,
                           case=case, typed=typed, tracking_path=url_for("public.track", token=token)), status


def _form_again(case: Case, token: str, errors: dict[str, list[str]], status: int, typed: Optional[str] = None):
    values = {"antwoord": _typed() if typed is None else typed}
    body, status, headers = tracking_page(case, token, {"values": values, "errors": errors,
                                                        "photos_lost": photos_sent()}, status)
    return body, status, headers


def _not_waiting(case: Case, token: str, typed: str):
    if waits_for_answer(case):  # the question is open after all (a concurrent change): try again
        return _form_again(case, token, {"_form": [translate(
            "Uw antwoord kon niet opgeslagen worden omdat uw melding net gewijzigd werd. Verstuur het opnieuw.")]},
            409, typed)
    return stop_page(why_closed(case), case, token, typed)


@bp.post("/volg/<token>/antwoord")
def submit(token: str):
    """Check the answer; deliver it to the waiting melding, or give the page back with what was typed."""
    case = _case(token)
    if case is None:
        return render_template("error.html", message=translate("Deze pagina bestaat niet."), code=404), 404
    typed = _typed()
    sent = form_tokens.posted(f"antwoord:{case.id}")
    if sent.token is not None and sent.token.earlier() is not None:  # the same form again (double click, back)
        return _thanks(case, token, again=True)
    if not waits_for_answer(case):
        return stop_page(why_closed(case), case, token, typed)
    hit = count_request("public-post", "MELDPUNT_PUBLIC_POST_RATE")
    if not hit.allowed:
        body, status, headers = _form_again(case, token, {"_form": [too_many_text(hit)]}, 429)
        return body, status, {**headers, "Retry-After": str(hit.retry_after)}
    errors: dict[str, list[str]] = {}
    if not typed:
        errors["antwoord"] = [translate("Schrijf uw antwoord op de vraag.")]
    elif len(typed) > MAX_ANSWER:
        errors["antwoord"] = [translate("Uw antwoord is te lang: {count} tekens, maximaal {max} tekens.",
                                        count=len(typed), max=MAX_ANSWER)]
    photos = read_photos(errors)
    if sent.invalid:  # expired, or a token of another case's page or another visitor
        errors["_form"] = [translate("Het formulier was verlopen; er werd niets opgeslagen. Controleer uw antwoord "
                                     "en verstuur opnieuw.")]
    if errors:
        undo("public-post", hit)
        return _form_again(case, token, errors, 422)
    case_id = case.id
    try:
        claim = sent.token.claim() if sent.token is not None else None
        if claim is not None and claim.earlier is not None:
            return _thanks(case, token, again=True)
        if claim is not None:
            claim.record(case=case.reference)
        answer_question(case_id, typed, photos)
    except Conflict:
        case = db.session.get_one(Case, case_id, populate_existing=True)  # cases are never deleted
        return _not_waiting(case, token, typed)
    except (InvalidInput, EngineError):
        db.session.rollback()
        case = db.session.get_one(Case, case_id, populate_existing=True)
        return _form_again(case, token, {"_form": [translate(
            "Uw antwoord kon door een technisch probleem niet verwerkt worden. Probeer het later opnieuw.")]},
            500, typed)
    return _thanks(db.session.get_one(Case, case_id), token)


def _thanks(case: Case, token: str, again: bool = False):
    return render_template("tracking_answer_thanks.html", case=case, again=again,
                           tracking_path=url_for("public.track", token=token))


@bp.errorhandler(CSRFError)
def _csrf_error(_err: CSRFError):
    # Typically the page left open on a phone for hours: the page again with what was typed.
    token = (request.view_args or {}).get("token", "")
    case = _case(token)
    if case is None:
        return render_template("error.html", message=translate("Deze pagina bestaat niet."), code=404), 404
    if not waits_for_answer(case):
        return stop_page(why_closed(case), case, token, _typed())
    return _form_again(case, token, {"_form": [translate(
        "Het formulier was verlopen of onvolledig; er werd niets opgeslagen. Controleer uw antwoord en verstuur "
        "opnieuw.")]}, 400)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_err: RequestEntityTooLarge):
    # The body was not read, so the text cannot be given back: say so plainly.
    token = (request.view_args or {}).get("token", "")
    case = _case(token)
    if case is None:
        return render_template("error.html", message=translate("Deze pagina bestaat niet."), code=404), 404
    errors = {"photos": [translate("De foto's zijn samen te groot. Stuur er minder of kleinere (maximaal "
                                   "{megabytes} MB per foto).", megabytes=MAX_BYTES // (1024 * 1024))],
              "_form": [translate("Uw antwoord werd niet verstuurd. Vul het formulier opnieuw in.")]}
    body, status, headers = tracking_page(case, token, {"values": {}, "errors": errors, "photos_lost": True}, 413)
    return body, status, headers
