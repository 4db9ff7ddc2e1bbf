"""Auto-registration marks, dashboard session generations and the honeypot's memory.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

- ``journeys.auto_registered``, ``steps.auto_registered``: made by ingest for a
  site that registers unknown journeys and steps (capped per site, see
  collector/ingest.py); such a step is left out of the widget config until it
  has a prompt. Rows that exist before this revision count as defined by the
  CX team (there is no telling them apart).
- ``api_keys.session_generation``: dashboard sessions carry it; sign-out and
  rotating or revoking the key increment it, which ends every saved session
  cookie of the key.
- ``trapped_client_ids``: client_ids of answers and events that filled the
  honeypot, so their resends are answered as duplicates like a real record's;
  pruned by ``stepsense retention run``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# Plain string defaults: with an SQL expression as default, SQLite's batch mode would
# copy each table and drop the old one, and with foreign keys on, dropping `steps`
# or `journeys` cascades to every answer and event of theirs.


def upgrade():
    for table in ('journeys', 'steps'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('auto_registered', sa.Boolean(), nullable=False, server_default='0'))
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('trapped_client_ids',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('record', sa.String(length=16), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'record', 'client_id')
    )
    with op.batch_alter_table('trapped_client_ids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trapped_client_ids_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('trapped_client_ids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trapped_client_ids_created_at'))
    op.drop_table('trapped_client_ids')
    _drop_column('api_keys', 'session_generation')
    for table in ('steps', 'journeys'):
        _drop_column(table, 'auto_registered')


def _drop_column(table, column):
    """ALTER TABLE … DROP COLUMN, natively on SQLite too (3.35+): batch mode would copy
    the table and drop the old one, cascading to the answers of its steps."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)
