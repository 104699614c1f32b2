"""post_letters and post_replies: registered paper letters and the reply letters made for them

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "post_letters",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("sender_address", sa.Text(), nullable=False),
        sa.Column("sender_email", sa.String(length=254), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("letter_kind", sa.String(length=20), nullable=False),
        sa.Column("registered_mail", sa.Boolean(), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("deadline_unit", sa.String(length=20), nullable=False),
        sa.Column("scan_file_id", BIG_ID, nullable=True),
        sa.Column("scan_pages", sa.Integer(), nullable=True),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_post_letters_case_id_cases")),
        sa.ForeignKeyConstraint(["scan_file_id"], ["case_files.id"],
                                name=op.f("fk_post_letters_scan_file_id_case_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_letters")),
        sa.UniqueConstraint("case_id", name=op.f("uq_post_letters_case_id")),
    )
    op.create_table(
        "post_replies",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_id", BIG_ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_post_replies_author_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_post_replies_case_id_cases")),
        sa.ForeignKeyConstraint(["file_id"], ["case_files.id"], name=op.f("fk_post_replies_file_id_case_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_replies")),
        sa.UniqueConstraint("case_id", "version", name=op.f("uq_post_replies_case_id")),
    )
    with op.batch_alter_table("post_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_replies_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("post_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_replies_case_id"))
    op.drop_table("post_replies")
    op.drop_table("post_letters")
