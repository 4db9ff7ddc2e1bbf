"""Re-scoring: answers of an older scorer version get the current scores, and curves follow."""

import sqlalchemy as sa

from collector.analytics.emotion import SCORING_VERSION
from collector.analytics.maintenance import rebuild_rollups
from collector.extensions import db
from collector.models import Response
from tests.helpers import ApiClient, answer


def test_rescore_updates_old_answers_and_their_rollups(app, runner, send, site, client, rows):
    comments = ["Checkout was painless, loved it", "My card got declined twice, what a hassle", "I paid with PayPal"]
    send(
        {
            "responses": [answer(site, kind="comment", score=None, comment=c) for c in comments]
            + [answer(site, kind="csat", score=5)]
        },
        site,
    )
    with app.app_context():  # as if these rows had been scored by an older, naive scorer
        db.session.execute(
            sa.update(Response).values(scorer_version="old", emotion=0.0, polarity=0.0, sentiment_label="neutral")
        )
        rebuild_rollups(db.session)
        db.session.commit()
    api = ApiClient(client, site.secret)
    assert api.get("/v1/journeys/checkout/curve").json["steps"][0]["emotion"]["mean"] == 0.0

    result = runner.invoke(args=["rescore", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Re-scored 4 answers" in result.output

    stored = {r.comment: r for r in rows(sa.select(Response))}
    assert all(r.scorer_version == SCORING_VERSION for r in stored.values())
    assert stored[comments[0]].sentiment_label == "positive"
    assert stored[comments[1]].sentiment_label == "negative"
    assert stored[None].emotion == 1.0
    curve_mean = api.get("/v1/journeys/checkout/curve").json["steps"][0]["emotion"]["mean"]
    assert curve_mean == round(sum(r.emotion for r in stored.values()) / 4, 4)
    assert runner.invoke(args=["rollups", "verify"]).exit_code == 0
    assert "Every answer is scored" in runner.invoke(args=["rescore"]).output


def test_rescore_scores_old_german_and_french_comments_in_their_language(app, runner, send, site, rows):
    """Rows stored before language detection (English lexicon, no language) are brought up to date."""
    comments = {
        "Die Zahlung wurde abgelehnt, sehr ärgerlich.": ("de", "negative"),
        "Commande reçue rapidement, parfait !": ("fr", "positive"),
    }
    send({"responses": [answer(site, kind="comment", score=None, comment=c, locale=None) for c in comments]}, site)
    with app.app_context():
        db.session.execute(sa.update(Response).values(scorer_version="old", language=None, sentiment_label="neutral"))
        db.session.commit()
    assert runner.invoke(args=["rescore"]).exit_code == 0
    assert {r.comment: (r.language, r.sentiment_label) for r in rows(sa.select(Response))} == comments


def test_rescore_brings_cx2_rows_up_to_the_current_scorer(app, runner, send, site, rows):
    """Answers scored by cx-2 are re-scored: its sarcasm and question misreadings go away."""
    comments = {
        "Perfect, another hour on hold.": "negative",
        "Can I cancel my order?": "neutral",
        "Waited three hours at the counter.": "negative",
    }
    send({"responses": [answer(site, kind="comment", score=None, comment=c) for c in comments]}, site)
    with app.app_context():  # what cx-2 stored for these comments
        db.session.execute(sa.update(Response).values(scorer_version="cx-2+e1", sentiment_label="positive"))
        db.session.commit()
    result = runner.invoke(args=["rescore"])
    assert result.exit_code == 0, result.output
    assert "Re-scored 3 answers" in result.output
    stored = rows(sa.select(Response))
    assert {r.comment: r.sentiment_label for r in stored} == comments
    assert {r.scorer_version for r in stored} == {SCORING_VERSION}
