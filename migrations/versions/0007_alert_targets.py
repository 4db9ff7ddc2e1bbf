"""Alert targets (Slack, Teams, e-mail) and digest rules.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00

- ``alert_rules.target``: where a firing goes, ``webhook`` (the signed JSON
  POST, what every rule from before this revision does), ``slack``, ``teams``
  or ``email``; ``email_to``: recipients (JSON list), also e-mailed when the
  target is not ``email``.
- ``alert_rules.schedule``, ``local_hour``, ``timezone``, ``weekday``: when a
  ``digest`` rule is due (null for the other kinds; a null timezone follows the
  site's setting); ``last_period_end``: the end of the last period a digest was
  made for, so each period is sent once.
- ``alert_deliveries.channel``: which of the rule's targets this delivery goes
  to; ``period_start``: a digest's period, unique per rule and channel so that
  two runs can't both send the same period.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


# Plain string defaults, as in 0005: an SQL expression as default would make SQLite's
# batch mode copy alert_rules and drop the old table, cascading to its deliveries.


def upgrade():
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target', sa.String(length=16), nullable=False, server_default='webhook'))
        batch_op.add_column(sa.Column('email_to', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('schedule', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('local_hour', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('weekday', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('last_period_end', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default='webhook'))
        batch_op.add_column(sa.Column('period_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_alert_deliveries_period', ['rule_id', 'channel', 'period_start'], unique=True)


def downgrade():
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_deliveries_period')
    for column in ('period_start', 'channel'):
        _drop_column('alert_deliveries', column)
    for column in ('last_period_end', 'weekday', 'timezone', 'local_hour', 'schedule', 'email_to', 'target'):
        _drop_column('alert_rules', column)


def _drop_column(table, column):
    """ALTER TABLE … DROP COLUMN, natively on SQLite too (3.35+): batch mode would copy
    the table and drop the old one, cascading to the deliveries of its rules."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)
