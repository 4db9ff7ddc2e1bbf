"""The demo's seeded sessions show friction at payment, exactly as the raw events say."""

from collector.analytics import friction
from collector.demo.seed import ensure_demo_site, seed_responses
from collector.extensions import db
from tests.helpers import ApiClient, by_step


def test_seeded_demo_shows_friction_at_payment(app, client):
    with app.app_context():
        site, _ = ensure_demo_site(db.session, ["https://shop.example.com"])
        seed_responses(db.session, site, 400)
        from collector.demo.seed import fresh_demo_key

        key = fresh_demo_key(db.session, site)
        db.session.commit()
        assert friction.compare_friction(db.session, site_id=site.id) == []
    body = ApiClient(client, key).get("/v1/journeys/checkout/curve").get_json()
    steps = by_step(body)
    payment = steps["payment"]
    assert payment["friction"]["index"]["share"] > 0.3 > steps["cart"]["friction"]["index"]["share"]
    assert payment["friction"]["signals"]["dead_click"]["sessions"] > 0
    assert "friction" in payment["flags"]
