"""Funnel rollups (sessions through the steps of a journey) and the session indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00

The funnel rollups are computed in Python from whole sessions (see
collector/funnel.py), so this revision does not backfill them: a database with
events stored before it runs `stepsense rollups rebuild` once after upgrading.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SEGMENT = ('device', 'locale', 'variant')


def _segment_columns():
    return [
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('device', sa.String(length=16), nullable=False),
        sa.Column('locale', sa.String(length=35), nullable=False),
        sa.Column('variant', sa.String(length=64), nullable=False),
    ]


def _owner_keys():
    return [
        sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    ]


def upgrade():
    counters = ('reached', 'continued', 'abandoned', 'retried', 'views', 'errors',
                'negative', 'negative_abandoned', 'positive', 'positive_abandoned')
    op.create_table('funnel_rollups',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    *_segment_columns(),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in counters),
    sa.ForeignKeyConstraint(['step_id'], ['steps.id'], ondelete='CASCADE'),
    *_owner_keys(),
    sa.UniqueConstraint('journey_id', 'day', 'step_id', *SEGMENT, name='uq_funnel_rollups_key')
    )
    op.create_table('funnel_journey_rollups',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    *_segment_columns(),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    *_owner_keys(),
    sa.UniqueConstraint('journey_id', 'day', *SEGMENT, name='uq_funnel_journey_rollups_key')
    )
    op.create_table('funnel_durations',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    *_segment_columns(),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    *_owner_keys(),
    sa.UniqueConstraint('journey_id', 'day', 'step_id', *SEGMENT, 'seconds', name='uq_funnel_durations_key')
    )
    for table in ('funnel_rollups', 'funnel_journey_rollups', 'funnel_durations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_site_id'), ['site_id'], unique=False)
    with op.batch_alter_table('funnel_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funnel_rollups_step_id'), ['step_id'], unique=False)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_journey_session', ['journey_id', 'session_id', 'created_at'], unique=False)
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_journey_session', ['journey_id', 'session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_journey_session')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_journey_session')
    op.drop_table('funnel_durations')
    op.drop_table('funnel_journey_rollups')
    op.drop_table('funnel_rollups')
