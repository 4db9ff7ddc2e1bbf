"""Theme rollups: a journey's themes per step, UTC day, segment and theme key.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:15:00

``theme_rollups`` holds, per (journey, day, step, device, locale, variant,
theme_key), the answers carrying the theme (``n``), as their primary one
(``primary``), by sentiment label, and their emotion sums; kept at ingest and
rebuilt with the step rollups (``collector/analytics/theme_rollups.py``). The
rows of the themes stored before this revision are backfilled with the same
SQL as ``stepsense rollups rebuild``.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('theme_rollups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('device', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('variant', sa.String(length=64), nullable=False),
    sa.Column('theme_key', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('primary', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('neutral', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('emotion_sum', sa.Double(), nullable=False),
    sa.Column('emotion_sq', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['steps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint(
        'journey_id', 'day', 'step_id', 'device', 'locale', 'variant', 'theme_key', name='uq_theme_rollups_key'
    )
    )
    with op.batch_alter_table('theme_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_rollups_site_id'), ['site_id'], unique=False)
        batch_op.create_index('ix_theme_rollups_step', ['step_id'], unique=False)
    _backfill()


def _backfill():
    if op.get_bind().dialect.name == 'postgresql':
        day = "CAST(timezone('UTC', r.created_at) AS DATE)"
    else:
        day = "date(r.created_at)"
    op.execute(f"""
        INSERT INTO theme_rollups (site_id, journey_id, step_id, day, device, locale, variant, theme_key, n,
            "primary", negative, neutral, positive, emotion_sum, emotion_sq)
        SELECT r.site_id, t.journey_id, t.step_id, {day}, coalesce(r.device, ''), coalesce(r.locale, ''),
            coalesce(r.variant, ''), t.theme_key, count(*),
            sum(CASE WHEN t.rank = 0 THEN 1 ELSE 0 END),
            sum(CASE WHEN r.sentiment_label = 'negative' THEN 1 ELSE 0 END),
            sum(CASE WHEN r.sentiment_label = 'neutral' THEN 1 ELSE 0 END),
            sum(CASE WHEN r.sentiment_label = 'positive' THEN 1 ELSE 0 END),
            coalesce(sum(r.emotion), 0.0), coalesce(sum(r.emotion * r.emotion), 0.0)
        FROM response_themes t JOIN responses r ON r.id = t.response_id
        GROUP BY r.site_id, t.journey_id, t.step_id, {day}, coalesce(r.device, ''), coalesce(r.locale, ''),
            coalesce(r.variant, ''), t.theme_key
    """)


def downgrade():
    with op.batch_alter_table('theme_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_theme_rollups_step')
        batch_op.drop_index(batch_op.f('ix_theme_rollups_site_id'))
    op.drop_table('theme_rollups')
