"""Whether an answer or event came from a new or a returning visitor.

Revision ID: 0010
Revises: 0006
Create Date: 2027-01-10 10:00:00

``responses.visitor_type`` and ``events.visitor_type``: ``new`` when the
browser had no Stepsense visitor id before the session the answer or event
belongs to, ``returning`` when it had one; null for rows from before this
revision and for widgets that do not send it. No rollup dimension: curves
compared by visitor type read the raw answers (docs/curves.md, "Personas").
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('responses', 'events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('visitor_type', sa.String(length=16), nullable=True))


def downgrade():
    for table in ('responses', 'events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('visitor_type')
