"""The HTTP JSON API: one flask-smorest blueprint per area, the error envelope
and the OpenAPI document.

May import services (tenancy, ingest, analytics, alerts, privacy, exports),
models and common; nothing below it imports this package.
"""

from flask import Blueprint, Flask, render_template

from collector.api import errors, guards
from collector.api.alerts.routes import blp as alerts
from collector.api.curves.routes import blp as curves
from collector.api.errors import Api
from collector.api.exports.routes import blp as exports
from collector.api.fields import DatabaseIdConverter
from collector.api.health.routes import blp as health
from collector.api.ingest.routes import blp as ingest
from collector.api.journeys.routes import blp as journeys
from collector.api.responses.routes import blp as responses
from collector.api.site.routes import blp as site
from collector.api.themes.routes import blp as themes
from collector.api.visitors.routes import blp as visitors

api = Api()
docs = Blueprint("docs", __name__)


@docs.get("/docs")
def interactive():
    """The interactive API reference (Swagger UI, served by the app itself)."""
    return render_template("swagger.html")


@docs.get("/docs/plain")
def plain():
    """The OpenAPI document rendered as a plain page without scripts."""
    return render_template("docs.html", spec=api.spec.to_dict())


def init_app(app: Flask) -> None:
    """Bind the API to the app: converters, error handlers, blueprints, docs."""
    app.url_map.converters["int"] = DatabaseIdConverter
    guards.init_app(app)
    api.init_app(app)
    errors.init_app(app, api)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A secret key, sk_…"}
    )
    for blueprint in (ingest, journeys, curves, themes, exports, responses, visitors, site, alerts, health):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs)
