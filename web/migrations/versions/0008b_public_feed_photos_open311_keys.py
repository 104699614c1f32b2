"""what the city publishes: a staff-written public description per case, an unguessable public token per file
(backfilled), whether a stored image is re-encoded without metadata, and Open311 client keys per app

Photos the public form stored as public before this revision were public by default, not by anyone's
decision: they become not public, and staff publish them again on the case page (which re-encodes them
without metadata first).

Revision ID: 0008b
Revises: 0007
"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = "0008b"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 1000
ACTIVE_KEY = "revoked_at IS NULL"


def _backfill_tokens() -> None:
    bind = op.get_bind()
    files = sa.table("case_files", sa.column("id", sa.BigInteger), sa.column("public_token", sa.String))
    while True:
        ids = bind.execute(sa.select(files.c.id).where(files.c.public_token.is_(None)).limit(BATCH)).scalars().all()
        if not ids:
            break
        bind.execute(files.update().where(files.c.id == sa.bindparam("file_id"))
                     .values(public_token=sa.bindparam("token")),
                     [{"file_id": i, "token": secrets.token_urlsafe(24)} for i in ids])


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_description', sa.Text(), nullable=True))
    with op.batch_alter_table('case_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_token', sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column('stripped', sa.Boolean(), nullable=False, server_default=sa.false()))
    _backfill_tokens()
    files = sa.table("case_files", sa.column("public", sa.Boolean), sa.column("source", sa.String))
    op.execute(files.update().where(files.c.source == "melder").values(public=False))
    with op.batch_alter_table('case_files', schema=None) as batch_op:
        batch_op.alter_column('public_token', existing_type=sa.String(length=43), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_case_files_public_token'), ['public_token'])
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
    with op.batch_alter_table('open311_keys', schema=None) as batch_op:
        batch_op.create_index('ix_open311_keys_active_name', ['name'], unique=True,
                              postgresql_where=sa.text(ACTIVE_KEY), sqlite_where=sa.text(ACTIVE_KEY))


def downgrade():
    with op.batch_alter_table('open311_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_open311_keys_active_name')
    op.drop_table('open311_keys')
    with op.batch_alter_table('case_files', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_case_files_public_token'), type_='unique')
        batch_op.drop_column('stripped')
        batch_op.drop_column('public_token')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('public_description')
