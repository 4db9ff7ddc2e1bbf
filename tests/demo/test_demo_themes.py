"""The demo's seed makes the themes story visible: clear reasons at payment, and mobile
visitors struggling more than desktop ones at shipping."""

import sqlalchemy as sa

from collector.analytics import curves, theme_report
from collector.demo.seed import ensure_demo_site, seed_responses, seed_themes
from collector.extensions import db
from collector.models import Journey, Response, ResponseTheme, Step


def test_demo_seed_gives_payment_themes_and_a_mobile_shipping_difference(app):
    with app.app_context():
        site, _ = ensure_demo_site(db.session, ["http://localhost"])
        seed_responses(db.session, site, 800)
        assert seed_themes(db.session, site) == 4
        journey = db.session.scalar(sa.select(Journey).where(Journey.site_id == site.id))
        steps = {step["step"]: step for step in theme_report.journey_themes(db.session, journey, {})["steps"]}
        payment = {theme["label"]: theme for theme in steps["payment"]["themes"]}
        assert any("paypal" in label for label in payment), payment.keys()
        assert any("secure" in label for label in payment), payment.keys()
        assert any(word in label for label in payment for word in ("declined", "refusée", "abgelehnt")), payment.keys()
        paypal = max((theme for label, theme in payment.items() if "paypal" in label), key=lambda t: t["count"])
        assert paypal["sentiment"]["negative"] > paypal["sentiment"]["positive"]
        # German and French visitors' declined cards are inside the English theme, not themes of their own
        card = max((theme for label, theme in payment.items() if "declined" in label), key=lambda t: t["count"])
        themed = db.session.execute(
            sa.select(Response.comment, Response.language)
            .join(ResponseTheme, ResponseTheme.response_id == Response.id)
            .join(Step, Step.id == ResponseTheme.step_id)
            .where(Step.key == "payment", ResponseTheme.theme_key == card["key"], ResponseTheme.rank == 0)
        ).all()
        assert any("abgelehnt" in text for text, _ in themed) and any("refusée" in text for text, _ in themed)
        assert not any("abgelehnt" in label or "refusée" in label for label in payment), payment.keys()
        # the curve's steps carry the top themes at once
        curve = curves.journey_curve(db.session, journey, {})
        assert [step for step in curve["steps"] if step["step"] == "payment"][0]["themes"]
        shipping = {
            device: [
                step
                for step in curves.journey_curve(db.session, journey, {"device": device})["steps"]
                if step["step"] == "shipping"
            ][0]["emotion"]["mean"]
            for device in ("desktop", "mobile")
        }
        assert shipping["mobile"] < shipping["desktop"] - 0.2, shipping
