"""The reporter's feedback page behind the links in the 'afgesloten' mail: public, no login, no JavaScript.

GET shows the case reference, the closing text and a short form (satisfied yes/no pre-selected from
the link, standard answers, optional comment); POST records the answer (handlers/feedback_giving.py: the
BPMN message `feedback`, or for a merged melding its own timeline and a reopen request on the original)
and thanks the reporter. A dead, used or expired link gets a friendly page and changes nothing.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, g, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from engine.db import db
from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.i18n import N_
from engine.models import Case
from engine.workitems import validate_form
from handlers import feedback_links
from handlers.feedback_giving import give_feedback
from handlers.feedback_links import FeedbackLink, FeedbackLinkError, FeedbackLinkInvalid
from handlers.merged_cases import readable_by

from .i18n import LANGUAGES, current_language, translate
from .rate_limits import count_request, too_many_text

bp = Blueprint("feedback", __name__)

MAX_COMMENT = 4000
HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
# Standard answers: the form sends the code, the process keeps the Dutch wording (what staff read).
ANSWERS: dict[str, list[tuple[str, str]]] = {
    "ja": [("snel", N_("Snel opgelost")), ("opgevolgd", N_("Goed opgevolgd")),
           ("vriendelijk", N_("Vriendelijk contact"))],
    "nee": [("niet_opgelost", N_("Probleem is niet opgelost")), ("te_lang", N_("Het duurde te lang")),
            ("geen_uitleg", N_("Ik kreeg geen uitleg")), ("andere", N_("Andere reden"))],
}
CHOICES = ("ja", "nee")
# Pages for a link that cannot (or can no longer) be used: title, text, HTTP status.
STOP_PAGES = {
    "invalid": (N_("Ongeldige link"),
                N_("Deze link is ongeldig. Controleer of u de volledige link uit de e-mail gebruikt."), 404),
    "expired": (N_("De termijn om te antwoorden is voorbij"),
                N_("U kon tot {days} dagen na het afsluiten van uw melding laten weten of u tevreden bent. Die "
                "termijn is nu voorbij. Is het probleem er nog? Doe dan gerust een nieuwe melding."), 410),
    "superseded": (N_("Deze link is niet meer geldig"),
                   N_("Uw melding werd intussen opnieuw behandeld en afgesloten. Gebruik de link uit de meest "
                   "recente e-mail om uw mening te geven."), 410),
    "answered": (N_("U hebt al geantwoord"),
                 N_("Bedankt, we hebben uw mening over deze melding al ontvangen. U kunt maar één keer "
                 "antwoorden."), 409),
    "reopened": (N_("Uw melding wordt opnieuw behandeld"),
                 N_("Uw melding wordt intussen opnieuw behandeld. Zodra ze afgehandeld is, krijgt u een e-mail en "
                 "kunt u opnieuw laten weten of u tevreden bent."), 409),
}


def _stop_reason(state: str) -> str:
    """The stop page for a feedback state other than 'open' ('over' reads as the period having ended)."""
    return state if state in STOP_PAGES else "expired"


@bp.url_value_preprocessor
def _check_link_before_the_body(endpoint: Optional[str], values: Optional[dict[str, Any]]) -> None:
    # Runs before the app-wide CSRF check: a dead link gets its own page, not "form expired".
    if request.method == "POST" and values is not None:
        feedback_links.check_token(values.get("token", ""))


@bp.before_request
def _language_from_link() -> None:
    # The mail link carries the reporter's language; the header's switch cannot come back here
    # (no referrer is sent), so the page offers its own link with `lang`.
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        g.lang = lang


@bp.after_request
def _privacy_headers(response):
    response.headers.update(HEADERS)
    return response


def stop_page(reason: str, case: Optional[Case] = None, days: Optional[float] = None):
    """The friendly page for a link that cannot be used; the case reference only when the link was genuine.

    An expired link says how long the reporter could answer: the feedback window of the case's model."""
    title, text, status = STOP_PAGES[reason]
    refused = translate("Uw antwoord werd niet opgeslagen.") if request.method == "POST" else None
    if days is None:
        days = feedback_links.window_days(case) if case is not None else feedback_links.feedback_days()
    return render_template("feedback/stop.html", title=translate(title), text=translate(text, days=_days(days)),
                           reason=reason, refused=refused, case=case), status


def _days(days: float) -> str:
    return str(int(days)) if days == int(days) else str(days)


@bp.errorhandler(FeedbackLinkError)
def _link_error(err: FeedbackLinkError):
    return stop_page(err.reason, getattr(err, "case", None), getattr(err, "days", None))


@bp.errorhandler(CSRFError)
def _csrf_error(_err: CSRFError):
    # Typically a page left open on a phone for hours: give the form back with what was typed.
    try:
        link = feedback_links.read_token((request.view_args or {}).get("token", ""))
    except FeedbackLinkError as err:
        return _link_error(err)
    state = feedback_links.feedback_state(link.case)
    if state != "open":
        return stop_page(_stop_reason(state), link.case)
    values = _typed()
    errors = {"_form": [translate("Het formulier was verlopen of onvolledig; er werd niets opgeslagen. "
                                  "Controleer uw antwoord en verstuur opnieuw.")]}
    return render_form(link, values, errors, status=400)


def _typed() -> dict[str, str]:
    """What the reporter chose and typed, to show the form again."""
    values = {name: request.form.get(name, "").strip() for name in ("tevreden", "antwoord_ja", "antwoord_nee")}
    values["opmerking"] = request.form.get("opmerking", "").replace("\r\n", "\n").strip()
    return values


def _choice(value: Optional[str]) -> Optional[str]:
    return value if value in CHOICES else None


def _lang_arg() -> dict[str, Any]:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in LANGUAGES else {}


def render_form(link: FeedbackLink, values: dict[str, str], errors: Optional[dict[str, list[str]]] = None,
                status: int = 200):
    """The feedback form for the case behind `link`, with `values` filled in and Dutch `errors`."""
    case = link.case
    rated = feedback_links.rated_case(case)  # a merged melding rates the closing of its original
    closed = feedback_links.closing_event(rated)
    token = (request.view_args or {})["token"]
    return render_template(
        "feedback/form.html", case=case,
        closing_text=readable_by(closed.text, rated, case) if closed is not None else None,
        closed_at=closed.at if closed is not None else rated.closed_at, valid_until=link.valid_until,
        values=values, errors=errors or {}, answers=ANSWERS, max_comment=MAX_COMMENT,
        action=url_for(".submit", token=token, **_lang_arg()),
        switch_language=url_for(".show", token=token, tevreden=_choice(values.get("tevreden")),
                                lang="en" if current_language() == "nl" else "nl")), status


@bp.get("/feedback/<token>")
def show(token: str):
    """The short feedback form, with satisfied yes/no pre-selected from the link in the mail."""
    link = feedback_links.read_token(token)
    state = feedback_links.feedback_state(link.case)
    if state != "open":
        return stop_page(_stop_reason(state), link.case)
    return render_form(link, {"tevreden": _choice(request.args.get("tevreden")) or ""})


def parse_feedback(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The `feedback` message payload and Dutch field errors, from what the reporter sent."""
    errors: dict[str, list[str]] = {}
    choice = _choice(values["tevreden"])
    if choice is None:
        errors["tevreden"] = [translate("Laat weten of u tevreden bent.")]
    answer = None
    if choice is not None:
        code = values[f"antwoord_{choice}"]
        labels = dict(ANSWERS[choice])
        if code and code not in labels:
            errors["antwoord"] = [translate("Kies een van de antwoorden uit de lijst.")]
        answer = labels.get(code)
        if code == "andere" and not values["opmerking"]:
            errors["opmerking"] = [translate("Vertel kort wat er niet goed ging.")]
    if len(values["opmerking"]) > MAX_COMMENT:
        errors.setdefault("opmerking", []).append(
            translate("Uw tekst is te lang: {count} tekens, maximaal {max} tekens.",
                      count=len(values["opmerking"]), max=MAX_COMMENT))
    payload = {"satisfied": choice == "ja", "answer": answer, "comment": values["opmerking"] or None}
    return payload, errors


@bp.post("/feedback/<token>")
def submit(token: str):
    """Deliver the reporter's answer to the waiting case and say thank you."""
    link = feedback_links.read_token(token)
    hit = count_request("public-post", "MELDPUNT_PUBLIC_POST_RATE")
    if not hit.allowed:  # the form again, with what was typed
        body, status = render_form(link, _typed(), {"_form": [too_many_text(hit)]}, status=429)
        return body, status, {"Retry-After": str(hit.retry_after)}
    case_id = link.case.id
    state = feedback_links.feedback_state(link.case)
    if state != "open":
        return stop_page(_stop_reason(state), link.case)
    values = _typed()
    payload, errors = parse_feedback(values)
    if not errors:
        try:
            feedback = validate_form("message:feedback", payload)
            result = give_feedback(case_id, feedback)
        except InvalidInput:  # our own checks ran first, so this is a rare second line of defence
            errors = {"_form": [translate("Uw antwoord kon niet verwerkt worden. Controleer het en probeer "
                                          "opnieuw.")]}
        except Conflict:  # answered meanwhile (a second click), the period just ended, or a concurrent change
            case = db.session.get(Case, case_id, populate_existing=True)
            state = feedback_links.feedback_state(case) if case is not None else "over"
            if state != "open":
                return stop_page(_stop_reason(state), case)
            return render_form(link, values, {"_form": [translate(
                "Uw antwoord kon niet opgeslagen worden omdat uw melding net gewijzigd werd. Verstuur het "
                "opnieuw.")]}, status=409)
        except NotFound as err:
            raise FeedbackLinkInvalid("the case no longer exists") from err
        except EngineError:
            db.session.rollback()
            return render_form(link, values, {"_form": [translate(
                "Uw antwoord kon door een technisch probleem niet verwerkt worden. Probeer het later opnieuw.")]},
                status=500)
    if errors:
        return render_form(link, values, errors, status=422)
    case = result.case
    return render_template("feedback/thanks.html", case=case, satisfied=feedback["satisfied"],
                           outcome=result.outcome, tracking_path=url_for("public.track", token=case.tracking_token))
