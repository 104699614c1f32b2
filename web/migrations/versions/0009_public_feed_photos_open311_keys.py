"""what the city publishes: a staff-written public description per case, an unguessable public token per file
(backfilled), whether a stored image is re-encoded without metadata, and Open311 client keys per app

Photos the public form stored as public before this revision were public by default, not by anyone's
decision: they become not public, and staff publish them again on the case page (which re-encodes them
without metadata first).

Revision ID: 0009
Revises: 0008
"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 1000
ACTIVE_KEY = "revoked_at IS NULL"


def _backfill_tokens() -> None:
    bind = op.get_bind()
    files = sa.table("case_files", sa.column("id", sa.BigInteger), sa.column("public_token", sa.String))
    while True:
        ids = bind.execute(sa.select(files.c.id).where(files.c.public_token == "").limit(BATCH)).scalars().all()
        if not ids:
            break
        bind.execute(files.update().where(files.c.id == sa.bindparam("file_id"))
                     .values(public_token=sa.bindparam("token")),
                     [{"file_id": i, "token": secrets.token_urlsafe(24)} for i in ids])


def upgrade():
    # Only operations SQLite does in place: rebuilding cases or case_files would trip the foreign keys of the
    # rows that refer to them (letters, events), which SQLite enforces here (PRAGMA foreign_keys=ON).
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column('cases', sa.Column('public_description', sa.Text(), nullable=True))
    op.add_column('case_files', sa.Column('public_token', sa.String(length=43), nullable=False, server_default=''))
    op.add_column('case_files', sa.Column('stripped', sa.Boolean(), nullable=False, server_default='0'))
    _backfill_tokens()
    files = sa.table("case_files", sa.column("public", sa.Boolean), sa.column("source", sa.String))
    op.execute(files.update().where(files.c.source == "melder").values(public=False))
    if sqlite:  # a unique index is SQLite's unique constraint; the '' default stays (never used: the app sets one)
        op.create_index('uq_case_files_public_token', 'case_files', ['public_token'], unique=True)
    else:
        op.alter_column('case_files', 'public_token', existing_type=sa.String(length=43), server_default=None)
        op.create_unique_constraint(op.f('uq_case_files_public_token'), 'case_files', ['public_token'])
    op.create_table('open311_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash'))
    )
    op.create_index('ix_open311_keys_active_name', 'open311_keys', ['name'], unique=True,
                    postgresql_where=sa.text(ACTIVE_KEY), sqlite_where=sa.text(ACTIVE_KEY))


def downgrade():
    op.drop_index('ix_open311_keys_active_name', table_name='open311_keys')
    op.drop_table('open311_keys')
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index('uq_case_files_public_token', table_name='case_files')
    else:
        op.drop_constraint(op.f('uq_case_files_public_token'), 'case_files', type_='unique')
    op.drop_column('case_files', 'stripped')  # ALTER TABLE ... DROP COLUMN: SQLite 3.35 and later
    op.drop_column('case_files', 'public_token')
    op.drop_column('cases', 'public_description')
