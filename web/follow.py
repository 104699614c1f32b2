""""Ik meld hetzelfde": POST /melden/volgen follows an existing melding instead of making a new one.

The public report form sends everything it holds here (multipart, with `volg` = the reference of the melding
the citizen recognised as theirs). Nothing is created but a follower (handlers/case_followers.py): no case.
An e-mail address is needed (the follower gets the case's status mails); without one, or with a reference
that cannot be followed (unknown, closed, merged), the report form comes back with everything typed and a
Dutch message. The CSRF check, the one-time form token and the report form's rate limit apply as on /melden.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from engine.db import db
from engine.errors import InvalidInput
from engine.models import Case
from handlers import idempotency
from handlers.case_followers import follow, followable, follower_by_token, follower_tracking_url, followers_of
from handlers.merged_cases import normalise_reference
from handlers.models import CaseFollower
from intake.melding_schema import MAX_DESCRIPTION, ReporterSchema, problems

from . import form_tokens
from .i18n import current_language, translate
from .input_guard import UnstorableText, cleaned
from .outage import give_back_on_outage
from .public_form import FIELDS, Chosen, chosen_category, receives_report_form, render_form, worded
from .rate_limits import count_request, minutes, undo

bp = Blueprint("follow", __name__)

FOLLOW_FIELDS = (*FIELDS, "volg")
SCOPE_FROM, SCOPE_TO = "form:melding:", "form:volgen:"


# The whole report form is sent here, photos included (they are not kept): its size is allowed, as on /melden.
receives_report_form(bp, "follow.submit")


def _typed(clean=lambda text: text) -> dict[str, str]:
    return {name: clean(request.form.get(name, "")).strip() for name in FOLLOW_FIELDS}


def _chosen() -> Chosen:
    return chosen_category(request.form.get("categorie", "").strip()) or Chosen(None, None, None)


def _photos_sent() -> bool:
    return any(u.filename for u in request.files.getlist("photos"))


def _again(values: dict[str, str], errors: dict[str, list[str]], status: int, **extra: Any):
    """The report form again with everything typed (the chosen melding too) and the messages."""
    return render_form(_chosen(), values=values, errors=errors, photos_lost=_photos_sent(), status=status, **extra)


def _posted_token() -> form_tokens.Posted:
    """The report form's one-time token (field form_token, or `formulier`), claimed under a scope of its own:
    following with it does not count as having sent the melding form, and vice versa."""
    sent = form_tokens.posted("melding")
    value = request.form.get(form_tokens.URL_PARAM) or request.args.get(form_tokens.URL_PARAM, "")
    if sent.missing and value:
        token = form_tokens._verify("melding", value[:idempotency.MAX_KEY])  # the same check as posted()
        sent = form_tokens.Posted(token=token)
    if sent.token is None or not sent.token.scope.startswith(SCOPE_FROM):
        return sent
    own = sent.token.scope.replace(SCOPE_FROM, SCOPE_TO, 1)
    return form_tokens.Posted(token=form_tokens.FormToken(value=sent.token.value, scope=own, key=sent.token.key))


def _done(result: Optional[dict[str, Any]], photos: bool = False):
    """303 to the page that says what following did."""
    result = result or {}
    follower = db.session.get(CaseFollower, result["follower"]) if result.get("follower") else None
    args: dict[str, Any] = {"fotos": 1} if photos else {}
    if result.get("created") and follower is not None:
        return redirect(url_for(".following", token=follower.tracking_token, **args), 303)
    return redirect(url_for(".already", melding=result.get("case", ""), **args), 303)


def _checked(values: dict[str, str], errors: dict[str, list[str]]) -> Optional[dict[str, Any]]:
    """The follower's contact data, or None with Dutch messages in `errors`."""
    if not values["email"]:
        errors["email"] = [translate("Geef uw e-mailadres: daarop krijgt u de mails over de melding die u volgt.")]
        return None
    try:
        return ReporterSchema().load({"name": values["name"], "email": values["email"], "phone": values["phone"],
                                      "language": current_language()})
    except ValidationError as err:
        for path, message in problems(err.messages):
            field = path[-1] if path and path[-1] in ("name", "email", "phone") else "_form"
            errors.setdefault(field, [worded(message)])
        return None


@bp.post("/melden/volgen")
def submit():
    """Follow the melding `volg` with the contact data of the form; no case is made."""
    sent = _posted_token()
    if sent.token is not None and (earlier := sent.token.earlier()) is not None:
        return _done(earlier.result)  # sent before (back button, double click): what it did then
    hit = count_request("report", "MELDPUNT_REPORT_RATE")  # the report form's limit (web/rate_limits.py)
    values = _typed()
    if not hit.allowed:
        body, status = _again(values, {}, 429, too_many={"count": hit.count, "minutes": minutes(hit.retry_after)})
        return body, status, {"Retry-After": str(hit.retry_after)}
    errors: dict[str, list[str]] = {}
    case: Optional[Case] = None
    try:
        case = followable(values["volg"])
    except InvalidInput as err:
        errors["volg"] = [translate(m) for m in err.fields.get("volg", [])]
    reporter = _checked(values, errors)
    description = request.form.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = [translate("Uw beschrijving is te lang: {count} tekens, maximaal {max} tekens.",
                                           count=len(description), max=MAX_DESCRIPTION)]
    if sent.invalid:
        errors["_form"] = [translate("Het formulier was verlopen; er werd niets opgeslagen. Controleer uw gegevens en "
                                     "verstuur opnieuw.")]
    if errors:
        undo("report", hit)
        reference = normalise_reference(values["volg"])
        summary = errors.get("volg") or [translate(
            "U volgt melding {reference} nog niet. Verbeter wat hieronder in het rood staat, of verstuur uw eigen "
            "melding.", reference=reference) if reference else translate("Verbeter wat hieronder in het rood staat.")]
        errors["_form"] = [*errors.get("_form", []), *summary]
        return _again(values, errors, 422)
    assert case is not None and reporter is not None
    claim = sent.token.claim() if sent.token is not None else None
    if claim is not None and claim.earlier is not None:  # the same form at the same moment, from another request
        undo("report", hit)
        return _done(claim.earlier.result)
    follower, created = follow(case, reporter.get("name"), reporter["email"], reporter.get("phone"),
                               current_language(), description)
    result = {"case": case.reference, "follower": follower.id if follower is not None else None,
              "created": created}
    if claim is not None:
        claim.record(**result)
    db.session.commit()
    if not created:
        undo("report", hit)  # nothing was made
    return _done(result, photos=_photos_sent())


@bp.get("/melden/volgen/<token>")
def following(token: str):
    """"U volgt nu melding ...": the follower's own tracking link and what they will receive."""
    follower = follower_by_token(token)
    if follower is None:
        return render_template("error.html", message=translate("Deze pagina bestaat niet."), code=404), 404
    return render_template("report/following.html", reference=follower.case.reference, created=True,
                           tracking_url=follower_tracking_url(follower), photos=request.args.get("fotos") == "1")


@bp.get("/melden/volgen/al")
def already():
    """The address gets this melding's status mails already (as a follower or as its reporter)."""
    reference = normalise_reference(request.args.get("melding"))[:30]
    return render_template("report/following.html", reference=reference, created=False, tracking_url=None,
                           photos=request.args.get("fotos") == "1")


# --- the form again when the request itself fails ---------------------------------------------------------------


@bp.errorhandler(CSRFError)
def _csrf_error(_err: CSRFError):
    errors = {"_form": [translate("Het formulier was verlopen of onvolledig; er werd niets opgeslagen. Controleer "
                                  "uw gegevens en verstuur opnieuw.")]}
    return _again(_typed(), errors, 400)


@bp.errorhandler(UnstorableText)
def _unstorable(err: UnstorableText):
    text = translate("Dit veld bevatte een teken dat we niet kunnen bewaren (een nul-teken); we hebben het "
                     "weggelaten. Controleer de tekst en verstuur opnieuw.")
    errors = {name if name in FOLLOW_FIELDS and name != "categorie" else "_form": [text] for name in err.fields}
    return _again(_typed(cleaned), errors, 400)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_err: RequestEntityTooLarge):
    errors = {"_form": [translate("Uw melding werd niet verstuurd. Vul het formulier opnieuw in.")]}
    return render_form(Chosen(None, None, None), errors=errors, photos_lost=True, status=413)


@give_back_on_outage("follow.submit")
def _form_during_outage():
    key = request.form.get("categorie", "").strip()
    chosen = Chosen(key, key, None) if key and key != "geen" else Chosen(None, None, None)
    errors = {"_form": [translate("De databank is even niet bereikbaar; uw melding werd nog niet bewaard. "
                                  "Verstuur het formulier over een minuut opnieuw.")]}
    return render_form(chosen, values=_typed(), errors=errors, photos_lost=_photos_sent(), status=503)


# --- the staff case page: its followers (web/templates/staff/_followers.html) ----------------------------------


@bp.app_template_global("case_followers")
def case_followers(case: Case) -> list[CaseFollower]:
    """The followers of a case, for the staff case page (shown to roles that may see contact data)."""
    return followers_of(case) if case is not None and case.kind == "melding" else []
