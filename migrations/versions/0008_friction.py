"""Behavioural friction: which sessions showed which signal at which step, and its rollup.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02 10:00:00

``friction_sessions``: one row per (journey, step, browser session, signal), where
signal is one of the widget's friction signals, the derived ``quick_back``, ``any``
(some signal) or ``view`` (the session viewed the step). It carries the session's
day and segment (those of its first event in the journey) and, per session and step,
whether it abandoned there and whether it answered (negatively) there. Ingest
reconciles a touched session's rows with a recomputation and adds the difference to
``friction_rollups`` (see ``collector/analytics/friction.py``).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _segment():
    return [
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('device', sa.String(length=16), nullable=False),
        sa.Column('locale', sa.String(length=35), nullable=False),
        sa.Column('variant', sa.String(length=64), nullable=False),
    ]


def _flags():
    return [
        sa.Column('abandoned', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Integer(), nullable=False),
        sa.Column('negative', sa.Integer(), nullable=False),
    ]


def upgrade():
    op.create_table(
        'friction_sessions',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('sites.id', ondelete='CASCADE'), nullable=False),
        sa.Column('journey_id', sa.Integer(), sa.ForeignKey('journeys.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('steps.id', ondelete='CASCADE'), nullable=False),
        sa.Column('session_id', sa.String(length=64), nullable=False),
        sa.Column('signal', sa.String(length=24), nullable=False),
        *_segment(),
        *_flags(),
        sa.UniqueConstraint('journey_id', 'session_id', 'step_id', 'signal', name='uq_friction_sessions_key'),
    )
    op.create_index('ix_friction_sessions_site_day', 'friction_sessions', ['site_id', 'day'])
    op.create_index('ix_friction_sessions_step', 'friction_sessions', ['step_id'])
    op.create_table(
        'friction_rollups',
        sa.Column('id', BigId, primary_key=True, autoincrement=True),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('sites.id', ondelete='CASCADE'), nullable=False),
        sa.Column('journey_id', sa.Integer(), sa.ForeignKey('journeys.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('steps.id', ondelete='CASCADE'), nullable=False),
        sa.Column('signal', sa.String(length=24), nullable=False),
        *_segment(),
        sa.Column('sessions', sa.Integer(), nullable=False),
        *_flags(),
        # Also the curve's read: a journey over a range of days.
        sa.UniqueConstraint('journey_id', 'day', 'step_id', 'signal', 'device', 'locale', 'variant',
                            name='uq_friction_rollups_key'),
    )
    op.create_index('ix_friction_rollups_site_day', 'friction_rollups', ['site_id', 'day'])
    op.create_index('ix_friction_rollups_step', 'friction_rollups', ['step_id'])


def downgrade():
    op.drop_index('ix_friction_rollups_step', table_name='friction_rollups')
    op.drop_index('ix_friction_rollups_site_day', table_name='friction_rollups')
    op.drop_table('friction_rollups')
    op.drop_index('ix_friction_sessions_step', table_name='friction_sessions')
    op.drop_index('ix_friction_sessions_site_day', table_name='friction_sessions')
    op.drop_table('friction_sessions')
