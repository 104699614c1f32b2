"""incoming mails (the info mailbox, processed once) and reporters' failing e-mail addresses

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incoming_mails",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_incoming_mails_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_mails")),
        sa.UniqueConstraint("folder", "uidvalidity", "uid", name=op.f("uq_incoming_mails_folder")),
    )
    with op.batch_alter_table("incoming_mails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incoming_mails_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incoming_mails_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incoming_mails_sha256"), ["sha256"], unique=False)
        batch_op.create_index("ix_incoming_mails_outcome_id", ["outcome", "id"], unique=False)
    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.drop_column("email_failed_at")
    op.drop_table("incoming_mails")
