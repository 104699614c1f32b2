"""processes: the origin of each process version and the version new cases start on (active_processes)

Revision ID: 0016a
Revises: 0016d
"""
from alembic import op
import sqlalchemy as sa

revision = "0016a"
down_revision = "0016d"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no table copy: on SQLite that would drop a table the cases refer to).
    op.add_column('process_definitions',
                  sa.Column('origin', sa.String(length=10), server_default='shipped', nullable=False))
    op.create_table('active_processes',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_by', sa.String(length=100), nullable=True),
    sa.Column('chosen_by', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definitions.id'],
                            name=op.f('fk_active_processes_definition_id_process_definitions')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_active_processes'))
    )
    # Until now the newest version was the one in use: keep it so.
    op.execute("INSERT INTO active_processes (key, definition_id, activated_at, activated_by, chosen_by) "
               "SELECT d.key, d.id, d.deployed_at, d.deployed_by, 'shipped' FROM process_definitions d "
               "WHERE d.version = (SELECT max(o.version) FROM process_definitions o WHERE o.key = d.key)")


def downgrade():
    op.drop_table('active_processes')
    op.drop_column('process_definitions', 'origin')
