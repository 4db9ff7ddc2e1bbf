"""Themes of comments per step: stored models, each answer's themes, curation.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02 10:00:00

``theme_models``: one row per step, the step's theme model as JSON
(``ThemeModel.to_dict(assignments=False)``), a ``version`` counting its
rebuilds (workers reload their compiled copy when it changes), and what it
was built from (``comments``, ``built_through_response_id``, ``source_hash``
of the curation and engine version) so ``stepsense themes rebuild`` skips
steps that are current and an interrupted run continues where it stopped.

``response_themes``: an answer's theme keys, ``rank`` 0 for the primary;
deleted with the answer (erasure, retention) by the foreign key.

``theme_curations``: what a CX user decided about a step's themes
(``Curation.to_dict()``), kept apart from the model so it survives rebuilds.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        'theme_models',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('journey_id', sa.Integer(), sa.ForeignKey('journeys.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('steps.id', ondelete='CASCADE'), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('model', sa.JSON(), nullable=False),
        sa.Column('comments', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('built_through_response_id', BigId, nullable=True),
        sa.Column('source_hash', sa.String(length=64), nullable=False, server_default=''),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('step_id', name='uq_theme_models_step'),
    )
    op.create_index('ix_theme_models_journey', 'theme_models', ['journey_id'])
    op.create_table(
        'response_themes',
        sa.Column('response_id', BigId, sa.ForeignKey('responses.id', ondelete='CASCADE'), nullable=False),
        sa.Column('theme_key', sa.String(length=64), nullable=False),
        sa.Column('journey_id', sa.Integer(), sa.ForeignKey('journeys.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('steps.id', ondelete='CASCADE'), nullable=False),
        sa.Column('rank', sa.SmallInteger(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('response_id', 'theme_key', name='pk_response_themes'),
    )
    op.create_index('ix_response_themes_step_theme', 'response_themes', ['step_id', 'theme_key', 'response_id'])
    op.create_table(
        'theme_curations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('journey_id', sa.Integer(), sa.ForeignKey('journeys.id', ondelete='CASCADE'), nullable=False),
        sa.Column('step_id', sa.Integer(), sa.ForeignKey('steps.id', ondelete='CASCADE'), nullable=False),
        sa.Column('curation', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('step_id', name='uq_theme_curations_step'),
    )


def downgrade():
    op.drop_table('theme_curations')
    op.drop_index('ix_response_themes_step_theme', table_name='response_themes')
    op.drop_table('response_themes')
    op.drop_index('ix_theme_models_journey', table_name='theme_models')
    op.drop_table('theme_models')
