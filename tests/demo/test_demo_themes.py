"""The demo's seed makes the themes story visible: clear reasons at payment, and mobile
visitors struggling more than desktop ones at shipping."""

import sqlalchemy as sa

from collector.analytics import curves, theme_report
from collector.demo.seed import ensure_demo_site, seed_responses, seed_themes
from collector.extensions import db
from collector.models import Journey


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
