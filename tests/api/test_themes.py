"""Themes through the API: a hand-written set themed exactly, new answers themed
at ingest, the theme filter, curation across rebuilds, erasure and retention."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from collector.analytics.maintenance import rebuild_rollups
from collector.analytics.stats import Moments, mean_ci
from collector.common.time import utcnow
from collector.extensions import db
from collector.models import Response, ResponseTheme, Site
from collector.tenancy.keys import create_api_key
from tests.helpers import CARD_DECLINED, PROMO_CODE, rebuild_themes, send_comments

SHIPPING = [
    "shipping costs are too high",
    "shipping costs way too expensive",
    "high shipping costs",
    "the shipping costs surprised me",
    "shipping costs not shown earlier",
    "why are shipping costs so high",
]
NONE = ["ok", "thanks", "fine"]
EXPECTED = {"card-declined": CARD_DECLINED, "promo-code": PROMO_CODE, "shipping-costs": SHIPPING}


@pytest.fixture
def themed(send, site, runner):
    send_comments(send, site, CARD_DECLINED + PROMO_CODE + SHIPPING + NONE)
    assert "Rebuilt 1 step" in rebuild_themes(runner)


def _themes(api, **params):
    response = api.get("/v1/journeys/checkout/themes", **params)
    assert response.status_code == 200, response.json
    return response.json


def _by_key(body, step="payment"):
    (entry,) = [s for s in body["steps"] if s["step"] == step]
    return {theme["key"]: theme for theme in entry["themes"]}


def _items(api, **params):
    response = api.get("/v1/responses", limit=500, **params)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_before_a_rebuild_comments_are_counted_and_carry_no_themes(api, send, site):
    send_comments(send, site, CARD_DECLINED)
    (step,) = _themes(api)["steps"]
    assert (step["comments"], step["themes"], step["model"]) == (6, [], None)
    assert [item["themes"] for item in _items(api)] == [[]] * 6


def test_hand_written_set_is_themed_exactly_as_expected(api, themed):
    body = _themes(api)
    (step,) = body["steps"]
    assert step["comments"] == 21 and step["model"]["comments"] == 21
    themes = _by_key(body)
    assert list(themes) == sorted(EXPECTED)  # equal counts: by key
    items = _items(api)
    emotion = {item["comment"]: item["emotion"] for item in items}
    for key, texts in EXPECTED.items():
        theme = themes[key]
        assert (theme["label"], theme["count"], theme["primary"], theme["share"]) == (
            key.replace("-", " "),
            6,
            6,
            round(6 / 21, 4),
        )
        assert theme["sentiment"]["negative"] + theme["sentiment"]["neutral"] + theme["sentiment"]["positive"] == 6
        values = [emotion[text] for text in texts]
        low, high = mean_ci(Moments(6, sum(values), sum(v * v for v in values)))
        assert theme["emotion"] == {
            "mean": round(sum(values) / 6, 4),
            "ci_low": round(low, 4),
            "ci_high": round(high, 4),
            "n": 6,
        }
        assert len(theme["examples"]) == 3 and set(theme["examples"]) <= set(texts)
        assert all(key.replace("-", " ") in text.lower() for text in theme["examples"])
        assert theme["share_change"] is None and theme["phrases"][0] == key.replace("-", " ")
    assert {item["comment"]: item["themes"] for item in items} == {
        **{text: [key] for key, texts in EXPECTED.items() for text in texts},
        **{text: [] for text in NONE},
    }


def test_new_comments_are_themed_at_ingest_and_the_curve_shows_the_top_three(api, send, site, themed):
    send_comments(send, site, ["sadly my card was declined", "thank you"])
    items = _items(api)
    assert items[1]["themes"] == ["card-declined"] and items[0]["themes"] == []
    (step,) = api.get("/v1/journeys/checkout/curve").json["steps"]
    assert [t["key"] for t in step["themes"]] == ["card-declined", "promo-code", "shipping-costs"]
    assert step["themes"][0] == {
        "key": "card-declined",
        "label": "card declined",
        "count": 7,
        "share": round(7 / 23, 4),
    }


def test_the_theme_filter_lists_only_that_themes_answers(api, themed):
    items = _items(api, theme="promo-code")
    assert sorted(item["comment"] for item in items) == sorted(PROMO_CODE)
    assert _items(api, theme="no-such-theme") == []
    response = api.get("/v1/responses", theme="bad key!")
    assert response.status_code == 422 and "theme" in str(response.json["error"]["details"])


def test_segment_and_window_filters_apply_and_share_change_compares_windows(app, api, send, site, runner):
    send_comments(send, site, CARD_DECLINED + PROMO_CODE + SHIPPING)
    rebuild_themes(runner)
    now = utcnow()
    with app.app_context():  # the promo comments were written a week earlier
        db.session.execute(
            sa.update(Response).where(Response.comment.in_(PROMO_CODE)).values(created_at=now - timedelta(days=7))
        )
        db.session.commit()
    start = (now - timedelta(days=3)).isoformat()
    end = (now + timedelta(days=1)).isoformat()
    themes = _by_key(_themes(api, **{"from": start, "to": end}))
    assert set(themes) == {"card-declined", "shipping-costs"}
    assert themes["card-declined"]["share"] == 0.5
    # Previous window (4 days before `from`): 6 promo comments, none about cards.
    assert themes["card-declined"]["share_change"] == 0.5
    assert _themes(api, device="mobile")["steps"][0]["themes"] == []


def test_curation_survives_a_rebuild_and_applies_to_new_comments(api, send, site, runner, themed):
    base = "/v1/journeys/checkout/steps/payment/themes"
    response = api.patch(f"{base}/card-declined", json={"label": "Card refused", "pinned": True})
    assert response.status_code == 200 and response.json["rebuilt"] is True
    assert api.patch(f"{base}/shipping-costs", json={"hidden": True}).status_code == 200
    response = api.post(f"{base}/split", json={"label": "Expired code", "phrases": ["expired"], "parent": "promo-code"})
    assert response.status_code == 200 and response.json["curation"]["splits"][0]["key"] == "expired-code"
    send_comments(send, site, ["more shipping costs than expected"])
    rebuild_themes(runner, "--force")
    themes = _by_key(_themes(api))
    assert themes["card-declined"]["label"] == "Card refused" and themes["card-declined"]["pinned"] is True
    assert "shipping-costs" not in themes
    assert _by_key(_themes(api, include_hidden="true"))["shipping-costs"]["count"] == 7
    assert (themes["expired-code"]["count"], themes["promo-code"]["primary"]) == (1, 5)
    send_comments(send, site, ["my promo code has expired"])
    assert _items(api)[0]["themes"][0] == "expired-code"

    response = api.post(f"{base}/merge", json={"keys": ["expired-code"], "into": "promo-code"})
    assert response.status_code == 200
    rebuild_themes(runner, "--force")
    themes = _by_key(_themes(api))
    assert "expired-code" not in themes and (themes["promo-code"]["count"], themes["promo-code"]["primary"]) == (7, 7)
    assert _items(api, theme="expired-code") == []
    assert {item["comment"]: item["themes"] for item in _items(api)}["promo code expired?"] == ["promo-code"]


def test_curation_errors(app, api, make_site, site, themed):
    base = "/v1/journeys/checkout/steps/payment/themes"
    assert api.patch(f"{base}/no-such", json={"label": "x"}).status_code == 404
    assert api.patch(f"{base}/promo-code", json={}).status_code == 422
    assert api.post(f"{base}/split", json={"label": "Promo code", "phrases": ["code"]}).status_code == 409
    assert api.post(f"{base}/merge", json={"keys": ["promo-code"], "into": "promo-code"}).status_code == 422
    other = make_site(name="Other")
    assert api.patch(f"{base}/promo-code", json={"label": "x"}, key=other.secret).status_code == 404
    with app.app_context():
        _, reader = create_api_key(db.session, db.session.get(Site, site.id), ["read"])
        db.session.commit()
    assert api.patch(f"{base}/promo-code", json={"label": "x"}, key=reader).status_code == 403
    assert api.get(f"{base}/curation", key=reader).status_code == 200


def test_erasure_removes_a_visitors_comments_from_themes_and_examples(api, send, site, themed, rows):
    send_comments(send, site, ["card declined card declined card declined!!"], visitor_id="erase-me")
    send_comments(send, site, ["My card got declined at the bank"], visitor_id="erase-me")
    assert _by_key(_themes(api))["card-declined"]["count"] == 8
    assert api.delete("/v1/visitors/erase-me").status_code == 200
    theme = _by_key(_themes(api))["card-declined"]
    assert theme["count"] == 6 and not any("bank" in text or "!!" in text for text in theme["examples"])
    assert len(rows(sa.select(ResponseTheme))) == 18


def test_retention_removes_old_comments_from_themes(app, api, send, site, themed, runner, rows):
    with app.app_context():
        db.session.execute(
            sa.update(Response)
            .where(Response.comment.in_(CARD_DECLINED))
            .values(created_at=utcnow() - timedelta(days=40))
        )
        # The answers were moved back in time behind the rollups' back: recount them, as an operator would.
        rebuild_rollups(db.session, site_id=site.id)
        db.session.get(Site, site.id).retention_days = 30
        db.session.commit()
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    themes = _by_key(_themes(api))
    assert "card-declined" not in themes and themes["promo-code"]["share"] == round(6 / 15, 4)
    assert len(rows(sa.select(ResponseTheme))) == 12


def test_rebuild_is_resumable_and_skips_current_steps(send, site, runner):
    send_comments(send, site, CARD_DECLINED + PROMO_CODE)
    send_comments(send, site, SHIPPING + PROMO_CODE, step="shipping")
    assert "Rebuilt 1 step" in rebuild_themes(runner, "--step", "payment")  # as if stopped after one step
    assert "Rebuilt 1 step(s): 12 comments" in rebuild_themes(runner)  # only shipping is left
    assert "current" in rebuild_themes(runner)
    send_comments(send, site, ["promo code again"], step="shipping")
    assert "Rebuilt 1 step(s): 13 comments" in rebuild_themes(runner, "--journey", "checkout")
