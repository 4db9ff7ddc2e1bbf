"""Stored themes: stable keys across rebuilds, models reloaded by version, nothing
left unthemed when a step gets its first model."""

import csv
import pathlib
import time

import sqlalchemy as sa

from collector.analytics import theme_store
from collector.analytics.maintenance import compare_rollups
from collector.extensions import db
from collector.models import Response, ResponseTheme, Step, ThemeModelRow, ThemeRollup
from tests.helpers import answer

EVAL = pathlib.Path(__file__).parent.parent / "data" / "themes_eval.tsv"


def _eval_comments(step: str) -> list[str]:
    with EVAL.open(encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle, delimiter="\t") if row["step"] == step]


def _send_all(send, site, comments, step="payment"):
    items = [answer(site, step=step, comment=text) for text in comments]
    for start in range(0, len(items), 50):
        assert send({"responses": items[start : start + 50]}, site).status_code == 201


def _primaries(rows) -> dict[str, str]:
    return dict(
        rows(
            sa.select(Response.comment, ResponseTheme.theme_key)
            .join(ResponseTheme, ResponseTheme.response_id == Response.id)
            .where(ResponseTheme.rank == 0)
        )
    )


def _all_keys(rows) -> list[tuple]:
    return rows(
        sa.select(ResponseTheme.response_id, ResponseTheme.theme_key, ResponseTheme.rank).order_by(
            ResponseTheme.response_id, ResponseTheme.rank
        )
    )


def test_keys_are_stable_and_ten_percent_more_comments_keep_most_primaries(send, site, runner, rows):
    comments = _eval_comments("payment")  # 96 hand-written English comments
    earlier, later = comments[:88], comments[88:]
    _send_all(send, site, earlier)
    assert runner.invoke(args=["themes", "rebuild"]).exit_code == 0
    first = _all_keys(rows)
    assert len({key for _, key, _ in first}) >= 4
    assert runner.invoke(args=["themes", "rebuild", "--force"]).exit_code == 0
    assert _all_keys(rows) == first  # the same comments: the same keys, every answer
    before = _primaries(rows)
    _send_all(send, site, later)
    assert runner.invoke(args=["themes", "rebuild"]).exit_code == 0
    after = _primaries(rows)
    kept = sum(1 for text in earlier if text in before and after.get(text) == before[text])
    assert kept >= 0.8 * len(before), (kept, len(before))


def test_a_process_reloads_a_step_model_when_its_version_changes(app, send, site, runner, rows):
    _send_all(send, site, ["card declined"] * 4 + ["promo code invalid"] * 4)
    app.config["THEMES_MODEL_CHECK_SECONDS"] = 3600
    assert runner.invoke(args=["themes", "rebuild"]).exit_code == 0
    with app.app_context():
        step_id = db.session.scalar(sa.select(Step.id).where(Step.key == "payment"))
        entries, _ = theme_store.model_cache().get(db.session, [step_id], 3600)
        version = entries[step_id].version
        # Another process rebuilds: the stored version moves on, this cache has not looked yet.
        db.session.execute(sa.update(ThemeModelRow).values(version=ThemeModelRow.version + 1))
        db.session.commit()
        assert theme_store.model_cache().get(db.session, [step_id], 3600)[0][step_id].version == version
        assert theme_store.model_cache().get(db.session, [step_id], 0)[0][step_id].version == version + 1


def test_comments_arriving_while_a_process_thought_the_step_had_no_model_are_themed(app, send, site, rows):
    """Another process builds the step's first model; this one still holds "no model"
    for up to THEMES_MODEL_CHECK_SECONDS, then themes what arrived meanwhile."""
    _send_all(send, site, ["card declined"] * 4 + ["promo code invalid"] * 4)
    app.config["THEMES_MODEL_CHECK_SECONDS"] = 3600
    with app.app_context():
        step = db.session.scalar(sa.select(Step).where(Step.key == "payment"))
        theme_store.rebuild_step(db.session, step)
        db.session.commit()
        theme_store.model_cache()._entries[step.id] = theme_store._Loaded(time.monotonic(), None)
    _send_all(send, site, ["my card was declined"])
    assert "my card was declined" not in _primaries(rows)
    with app.app_context():
        # The check interval has passed (monotonic time starts near 0 at boot: count back from now).
        theme_store.model_cache()._entries[step.id].checked = time.monotonic() - 3600
    _send_all(send, site, ["thanks"])
    assert _primaries(rows)["my card was declined"] == "card-declined"
    # The caught-up comment is in the theme rollups too, counted once.
    assert rows(sa.select(sa.func.sum(ThemeRollup.n)).where(ThemeRollup.theme_key == "card-declined")) == [5]
    with app.app_context():
        assert compare_rollups(db.session) == []
