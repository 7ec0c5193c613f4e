"""service desk: instance search (FTS5 trigram / pg_trgm), attachments, users' phones

Revision ID: 0021_service_desk
Revises: 0020_rule_tables
Create Date: 2026-12-02 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_service_desk'
down_revision = '0020_rule_tables'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

_DELETE = ("INSERT INTO instance_search_fts(instance_search_fts, rowid, body) "
           "VALUES ('delete', old.instance_id, old.body); ")
_SQLITE = [
    "CREATE VIRTUAL TABLE instance_search_fts USING fts5(body, content='instance_search', "
    "content_rowid='instance_id', tokenize='trigram')",
    "CREATE TRIGGER instance_search_fts_ai AFTER INSERT ON instance_search BEGIN "
    "INSERT INTO instance_search_fts(rowid, body) VALUES (new.instance_id, new.body); END",
    "CREATE TRIGGER instance_search_fts_ad AFTER DELETE ON instance_search BEGIN " + _DELETE + "END",
    "CREATE TRIGGER instance_search_fts_au AFTER UPDATE ON instance_search BEGIN " + _DELETE +
    "INSERT INTO instance_search_fts(rowid, body) VALUES (new.instance_id, new.body); END",
]


def upgrade() -> None:
    op.add_column('users', sa.Column('phone', sa.String(length=32), server_default='', nullable=False))
    op.create_table('instance_search',
        sa.Column('instance_id', _ID, nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id'),
    )
    if op.get_bind().dialect.name == 'sqlite':
        for statement in _SQLITE:
            op.execute(statement)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_instance_search_trgm ON instance_search USING gin (body gin_trgm_ops)")
    op.create_table('attachments',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('instance_id', _ID, nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('task_title', sa.String(length=300), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('original_sha256', sa.String(length=64), nullable=False),
        sa.Column('thumb_sha256', sa.String(length=64), nullable=True),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('taken_at', sa.String(length=32), nullable=True),
        sa.Column('uploaded_by', sa.String(length=100), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_attachment_instance', 'attachments', ['instance_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_attachment_instance', table_name='attachments')
    op.drop_table('attachments')
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('ai', 'ad', 'au'):
            op.execute(f"DROP TRIGGER IF EXISTS instance_search_fts_{name}")
        op.execute("DROP TABLE IF EXISTS instance_search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_instance_search_trgm")
    op.drop_table('instance_search')
    op.drop_column('users', 'phone')
