"""Administration of reporter privacy: export one reporter's data (data request) and run the anonymisation."""
from __future__ import annotations

import json

from flask import Response, render_template, request

from engine.clock import utcnow
from engine.errors import NotFound
from handlers.privacy import anonymise_due, anonymise_months
from handlers.privacy_export import export_reporter

from ..auth import requires
from ..i18n import translate
from . import bp


def _page(message: str | None = None, report=None, email: str = "", status: int = 200):
    return render_template("staff/admin_privacy.html", months=anonymise_months(), message=message, report=report,
                           email=email), status


@bp.get("/beheer/privacy")
@requires("manage")
def admin_privacy():
    """The privacy page: look up a reporter for an export; run the anonymisation now."""
    return _page()


@bp.get("/beheer/privacy/export")
@requires("manage")
def admin_privacy_export():
    """Everything held about one reporter as a JSON download (GDPR art. 15)."""
    email = (request.args.get("email") or "").strip()
    if not email:
        return _page(translate("Geef het e-mailadres van de melder op."))
    try:
        data = export_reporter(email)
    except NotFound:
        return _page(translate("Geen melder gevonden met e-mailadres {email}.", email=email), email=email,
                     status=404)
    filename = f"melder-{data['reporters'][0]['id']}-{utcnow():%Y%m%d}.json"
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@bp.post("/beheer/privacy/anonimiseren")
@requires("manage")
def admin_privacy_anonymise():
    """Run the anonymisation of reporters whose cases were closed longer ago than the period, now."""
    report = anonymise_due()
    return _page(translate("Anonimisering uitgevoerd."), report=report)
