"""The language of each answer's comment.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:40:00

``responses.language``: ISO 639-1 code of the comment as the sentiment scorer
detected it (the answer's locale as a prior), or null for an answer without a
comment or text too short to tell. Rows from before this revision stay null
until ``stepsense rescore`` brings them to the scorer version that sets it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('language')
