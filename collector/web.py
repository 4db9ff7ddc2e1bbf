"""HTML pages of the collector itself: the landing page and the API docs page."""

from flask import Blueprint, Flask, Response, render_template

from collector.extensions import api

bp = Blueprint("web", __name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
HTML_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/docs")
def docs():
    """The OpenAPI document rendered as a plain, dependency-free page."""
    return render_template("docs.html", spec=api.spec.to_dict())


def security_headers(response: Response) -> Response:
    """Headers every response gets; pages the app renders also get a strict CSP."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", HTML_CSP)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(security_headers)
