"""The JSON API: one flask-smorest blueprint per area."""

from collector.api.alerts.routes import blp as alerts
from collector.api.curves.routes import blp as curves
from collector.api.exports.routes import blp as exports
from collector.api.health.routes import blp as health
from collector.api.ingest.routes import blp as ingest
from collector.api.journeys.routes import blp as journeys
from collector.api.responses.routes import blp as responses
from collector.api.site.routes import blp as site
from collector.api.visitors.routes import blp as visitors
from collector.errors import Api


def register_blueprints(api: Api) -> None:
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A secret key, sk_…"}
    )
    for blueprint in (ingest, journeys, curves, exports, responses, visitors, site, alerts, health):
        api.register_blueprint(blueprint)
