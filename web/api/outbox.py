"""The outbox in the staff API, for administrators: what was queued, sent or failed."""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from handlers.permissions import require
from notifications.models import OutboxMessage

from . import bp
from .auth import token_required
from .schemas import OutboxOut


@bp.get("/v1/outbox")
@token_required
def list_outbox():
    """Newest outbox rows first, optionally filtered by ?status=pending|sent|failed."""
    require(g.user, "outbox.see")
    status = request.args.get("status")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if status:
        if status not in ("pending", "sent", "failed"):
            raise InvalidInput("unknown status", {"status": ["use pending, sent or failed"]})
        query = query.where(OutboxMessage.status == status)
    return jsonify([OutboxOut().dump(m) for m in db.session.scalars(query)])
