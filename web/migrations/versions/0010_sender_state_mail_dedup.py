"""the SMTP sender's state (outage, backoff) and a line-ending-proof hash of incoming mails

sender_state: one row per sender ("smtp") so every worker backs off together when the mail server is
down, and the admin page (and a future /metrics) shows since when. incoming_mails.content_sha256:
the hash of the mail with CRLF line ends made LF and trailing line ends cut, so a message read over
IMAP (CRLF) and the same message imported from a file (LF) are recognised as one. Existing rows are
backfilled from the bytes still held: the failed mail's kept copy, else the original .eml kept on the
case (when the storage folder is reachable from here); a row with neither keeps only its exact hash.

Revision ID: 0010
Revises: 0009
"""
import hashlib
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _normalised_sha256(raw: bytes) -> str:
    # The same rule as intake/mail_dedup.py (a migration must not import app code that may change).
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").rstrip(b"\r\n")).hexdigest()


def _storage_root():
    try:
        from flask import current_app

        return Path(current_app.config["MELDPUNT_STORAGE_PATH"])
    except (ImportError, RuntimeError, KeyError):
        return None


def _backfill() -> None:
    bind = op.get_bind()
    mails = sa.table("incoming_mails", sa.column("id"), sa.column("sha256"), sa.column("raw"),
                     sa.column("case_id"), sa.column("content_sha256"))
    files = sa.table("case_files", sa.column("case_id"), sa.column("sha256"), sa.column("storage_key"),
                     sa.column("content_type"))
    root = _storage_root()
    rows = bind.execute(sa.select(mails.c.id, mails.c.sha256, mails.c.raw, mails.c.case_id)).all()
    for row in rows:
        raw = row.raw
        if raw is None and root is not None and row.case_id is not None:
            key = bind.execute(sa.select(files.c.storage_key).where(
                files.c.case_id == row.case_id, files.c.sha256 == row.sha256,
                files.c.content_type == "message/rfc822").limit(1)).scalar()
            path = root / key if key else None
            if path is not None and path.is_file():
                raw = path.read_bytes()
        if raw is not None and hashlib.sha256(raw).hexdigest() == row.sha256:
            bind.execute(mails.update().where(mails.c.id == row.id)
                         .values(content_sha256=_normalised_sha256(raw)))


def upgrade():
    op.create_table(
        "sender_state",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("outage_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outages_total", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sender_state")),
    )
    with op.batch_alter_table("incoming_mails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_incoming_mails_content_sha256"), ["content_sha256"], unique=False)
    _backfill()


def downgrade():
    with op.batch_alter_table("incoming_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incoming_mails_content_sha256"))
        batch_op.drop_column("content_sha256")
    op.drop_table("sender_state")
