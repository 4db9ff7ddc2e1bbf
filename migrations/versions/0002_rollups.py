"""Step rollups for fast curves, and an index for representative comments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:30:00

Backfills the rollups from the answers and impressions already stored, so an
existing database serves the same curves after the upgrade.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('step_rollups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('device', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('variant', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('emotion_sum', sa.Double(), nullable=False),
    sa.Column('emotion_sq', sa.Double(), nullable=False),
    sa.Column('csat_n', sa.Integer(), nullable=False),
    sa.Column('csat_satisfied', sa.Integer(), nullable=False),
    sa.Column('ces_n', sa.Integer(), nullable=False),
    sa.Column('ces_sum', sa.Integer(), nullable=False),
    sa.Column('ces_sq', sa.Integer(), nullable=False),
    sa.Column('nps_n', sa.Integer(), nullable=False),
    sa.Column('nps_promoters', sa.Integer(), nullable=False),
    sa.Column('nps_detractors', sa.Integer(), nullable=False),
    sa.Column('exit_intent', sa.Integer(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('negative_comments', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['steps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('journey_id', 'day', 'step_id', 'device', 'locale', 'variant', name='uq_step_rollups_key')
    )
    with op.batch_alter_table('step_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_rollups_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_step_rollups_step_id'), ['step_id'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_step_sentiment', ['step_id', 'sentiment_label', 'polarity', 'id'], unique=False)

    _backfill()


def _backfill():
    """Rollups of the rows stored before this revision (same SQL as ``stepsense rollups rebuild``)."""
    if op.get_bind().dialect.name == 'postgresql':
        day = "CAST(timezone('UTC', created_at) AS DATE)"
    else:
        day = "date(created_at)"
    op.execute(f"""
        INSERT INTO step_rollups (site_id, journey_id, step_id, day, device, locale, variant, n, emotion_sum,
            emotion_sq, csat_n, csat_satisfied, ces_n, ces_sum, ces_sq, nps_n, nps_promoters, nps_detractors,
            exit_intent, comments, negative_comments, impressions)
        SELECT site_id, journey_id, step_id, {day}, coalesce(device, ''), coalesce(locale, ''), coalesce(variant, ''),
            count(*), sum(emotion), sum(emotion * emotion),
            sum(CASE WHEN kind = 'csat' AND score IS NOT NULL THEN 1 ELSE 0 END),
            sum(CASE WHEN kind = 'csat' AND score IS NOT NULL AND score >= 4 THEN 1 ELSE 0 END),
            sum(CASE WHEN kind = 'ces' AND score IS NOT NULL THEN 1 ELSE 0 END),
            sum(CASE WHEN kind = 'ces' AND score IS NOT NULL THEN score ELSE 0 END),
            sum(CASE WHEN kind = 'ces' AND score IS NOT NULL THEN score * score ELSE 0 END),
            sum(CASE WHEN kind = 'nps' AND score IS NOT NULL THEN 1 ELSE 0 END),
            sum(CASE WHEN kind = 'nps' AND score IS NOT NULL AND score >= 9 THEN 1 ELSE 0 END),
            sum(CASE WHEN kind = 'nps' AND score IS NOT NULL AND score <= 6 THEN 1 ELSE 0 END),
            sum(CASE WHEN "trigger" = 'exit_intent' THEN 1 ELSE 0 END),
            sum(CASE WHEN comment IS NOT NULL THEN 1 ELSE 0 END),
            sum(CASE WHEN sentiment_label = 'negative' THEN 1 ELSE 0 END),
            0
        FROM responses
        GROUP BY site_id, journey_id, step_id, {day}, coalesce(device, ''), coalesce(locale, ''), coalesce(variant, '')
    """)
    op.execute(f"""
        INSERT INTO step_rollups (site_id, journey_id, step_id, day, device, locale, variant, n, emotion_sum,
            emotion_sq, csat_n, csat_satisfied, ces_n, ces_sum, ces_sq, nps_n, nps_promoters, nps_detractors,
            exit_intent, comments, negative_comments, impressions)
        SELECT site_id, journey_id, step_id, {day}, coalesce(device, ''), coalesce(locale, ''), coalesce(variant, ''),
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, count(*)
        FROM events
        WHERE type = 'impression'
        GROUP BY site_id, journey_id, step_id, {day}, coalesce(device, ''), coalesce(locale, ''), coalesce(variant, '')
        ON CONFLICT (journey_id, day, step_id, device, locale, variant)
        DO UPDATE SET impressions = excluded.impressions
    """)


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_step_sentiment')

    with op.batch_alter_table('step_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_rollups_step_id'))
        batch_op.drop_index(batch_op.f('ix_step_rollups_site_id'))

    op.drop_table('step_rollups')
