"""The friction signal a ``friction_above`` alert rule watches.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:45:00

``alert_rules.signal``: one of the friction signals (``rage_click``,
``dead_click``, ``error_click``, ``js_error``, ``form_error``, ``quick_back``;
docs/friction.md) for rules of kind ``friction_above``, null for every other
kind and for the rules from before this revision. A plain ADD COLUMN (and DROP
COLUMN), so SQLite never copies the table: its deliveries cascade from it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('alert_rules', sa.Column('signal', sa.String(length=16), nullable=True))


def downgrade():
    # Natively on SQLite too (3.35+): batch mode would copy alert_rules and drop the old
    # table, cascading to the deliveries of its rules (as in 0007).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE alert_rules DROP COLUMN signal')
    else:
        op.drop_column('alert_rules', 'signal')
