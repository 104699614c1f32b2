"""letter_texts: the text of each registered letter's scan (text layer and OCR), read by the worker

Revision ID: 0017b
Revises: 0017a
"""
import sqlalchemy as sa
from alembic import op

revision = "0017b"
down_revision = "0017a"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "letter_texts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("letter_id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("pages_total", sa.Integer(), nullable=True),
        sa.Column("pages_read", sa.Integer(), nullable=False),
        sa.Column("text_layer_pages", sa.Integer(), nullable=False),
        sa.Column("unread_pages", sa.Integer(), nullable=False),
        sa.Column("stopped", sa.String(length=10), nullable=True),
        sa.Column("page_limit", sa.Integer(), nullable=True),
        sa.Column("problem", sa.String(length=400), nullable=True),
        sa.Column("suggested_group_id", sa.Integer(), nullable=True),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_letter_texts_case_id_cases")),
        sa.ForeignKeyConstraint(["letter_id"], ["post_letters.id"], name=op.f("fk_letter_texts_letter_id_post_letters")),
        sa.ForeignKeyConstraint(["suggested_group_id"], ["handler_groups.id"],
                                name=op.f("fk_letter_texts_suggested_group_id_handler_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_texts")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_letter_texts_letter_id")),
    )
    op.create_index(op.f("ix_letter_texts_case_id"), "letter_texts", ["case_id"], unique=False)
    op.create_index(op.f("ix_letter_texts_status"), "letter_texts", ["status"], unique=False)
    # Letters registered before this revision were never read: the worker reads their scans too.
    op.execute("INSERT INTO letter_texts (letter_id, case_id, status, attempts, pages_read, text_layer_pages, "
               "unread_pages, created_at) SELECT id, case_id, 'pending', 0, 0, 0, 0, created_at FROM post_letters "
               "WHERE scan_file_id IS NOT NULL")


def downgrade():
    op.drop_index(op.f("ix_letter_texts_status"), table_name="letter_texts")
    op.drop_index(op.f("ix_letter_texts_case_id"), table_name="letter_texts")
    op.drop_table("letter_texts")
