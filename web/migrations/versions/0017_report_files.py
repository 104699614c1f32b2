"""report files in the file storage: report_runs.storage_key and sha256

A report document made from now on is kept in the file storage (folder or bucket, handlers/storage.py)
under `storage_key`, with its sha256 (checked by `meldpunt files move-to-s3`); the documents of earlier
runs stay in `content`, where the outbox sender still finds them.

Revision ID: 0017f
Revises: 0017c
"""
from alembic import op
import sqlalchemy as sa

revision = "0017f"
down_revision = "0017c"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs: no table copy on SQLite.
    op.add_column("report_runs", sa.Column("storage_key", sa.String(length=300), nullable=True))
    op.add_column("report_runs", sa.Column("sha256", sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column("report_runs", "sha256")
    op.drop_column("report_runs", "storage_key")
