"""contacts: first-line contacts (phone, counter), their general topics, and reporter rows linked by staff

Revision ID: 0017c
Revises: 0017b
"""
from alembic import op
import sqlalchemy as sa

revision = "0017c"
down_revision = "0017b"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# The general topics every installation starts with (handlers/contact_models.GENERAL_TOPICS, as it was here).
TOPICS = [("afval", "Afval en containerpark"), ("parkeren", "Parkeren"), ("burgerzaken", "Burgerzaken"),
          ("belastingen", "Belastingen"), ("wonen", "Wonen en bouwen"), ("mobiliteit", "Mobiliteit en wegenwerken"),
          ("evenementen", "Evenementen en vrije tijd"), ("sociaal", "Sociale dienstverlening"),
          ("andere", "Andere vraag")]


def upgrade():
    topics = op.create_table('contact_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_topics')),
    sa.UniqueConstraint('key', name=op.f('uq_contact_topics_key'))
    )
    op.create_table('contacts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('case_id', BIG_ID, nullable=True),
    sa.Column('reporter_id', BIG_ID, nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('taken_by_id', sa.Integer(), nullable=True),
    sa.Column('taken_by_name', sa.String(length=200), nullable=False),
    sa.Column('related_contact_id', BIG_ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_contacts_case_id_cases')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_contacts_category_id_categories')),
    sa.ForeignKeyConstraint(['group_id'], ['handler_groups.id'], name=op.f('fk_contacts_group_id_handler_groups')),
    sa.ForeignKeyConstraint(['related_contact_id'], ['contacts.id'],
                            name=op.f('fk_contacts_related_contact_id_contacts')),
    sa.ForeignKeyConstraint(['reporter_id'], ['reporters.id'], name=op.f('fk_contacts_reporter_id_reporters')),
    sa.ForeignKeyConstraint(['taken_by_id'], ['users.id'], name=op.f('fk_contacts_taken_by_id_users')),
    sa.ForeignKeyConstraint(['topic_id'], ['contact_topics.id'], name=op.f('fk_contacts_topic_id_contact_topics')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_index('ix_contacts_created_at', 'contacts', ['created_at'], unique=False)
    op.create_index(op.f('ix_contacts_case_id'), 'contacts', ['case_id'], unique=False)
    op.create_index(op.f('ix_contacts_reporter_id'), 'contacts', ['reporter_id'], unique=False)
    op.create_table('reporter_links',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('reporter_id', BIG_ID, nullable=False),
    sa.Column('other_id', BIG_ID, nullable=False),
    sa.Column('linked_by', sa.String(length=200), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_reporter_links_linked_by_id_users')),
    sa.ForeignKeyConstraint(['other_id'], ['reporters.id'], name=op.f('fk_reporter_links_other_id_reporters')),
    sa.ForeignKeyConstraint(['reporter_id'], ['reporters.id'], name=op.f('fk_reporter_links_reporter_id_reporters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporter_links')),
    sa.UniqueConstraint('reporter_id', 'other_id', name=op.f('uq_reporter_links_reporter_id'))
    )
    op.create_index(op.f('ix_reporter_links_other_id'), 'reporter_links', ['other_id'], unique=False)
    op.create_index(op.f('ix_reporter_links_reporter_id'), 'reporter_links', ['reporter_id'], unique=False)
    op.bulk_insert(topics, [{"key": key, "name": name, "position": (i + 1) * 10, "active": True}
                            for i, (key, name) in enumerate(TOPICS)])


def downgrade():
    op.drop_index(op.f('ix_reporter_links_reporter_id'), table_name='reporter_links')
    op.drop_index(op.f('ix_reporter_links_other_id'), table_name='reporter_links')
    op.drop_table('reporter_links')
    op.drop_index(op.f('ix_contacts_reporter_id'), table_name='contacts')
    op.drop_index(op.f('ix_contacts_case_id'), table_name='contacts')
    op.drop_index('ix_contacts_created_at', table_name='contacts')
    op.drop_table('contacts')
    op.drop_table('contact_topics')
