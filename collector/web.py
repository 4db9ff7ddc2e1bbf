"""HTML pages of the collector itself: the landing page and the API docs page."""

from flask import Blueprint, Flask, Response, render_template, request

from collector.api.json_input import UNSTORABLE_MESSAGE, printable, read_body, unstorable
from collector.errors import abort
from collector.extensions import api

bp = Blueprint("web", __name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # Nothing here needs powerful features; a hijacked page can't ask for them either.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
HTML_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# JSON, CSV and other documents are data, never a page: opened directly they run nothing and can't be framed.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


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
        response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for old browsers
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    elif response.mimetype != "text/javascript":
        response.headers.setdefault("Content-Security-Policy", DATA_CSP)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def refuse_unstorable_text() -> None:
    """400 for a NUL character or an unpaired surrogate in the path, query or form:
    no text needs one, and PostgreSQL refuses NUL in text (SQLite stored it).

    JSON bodies are checked where they are parsed, on the decoded strings
    (``collector.api.json_input``), so escapes, UTF-16 and chunked bodies are
    covered; werkzeug decodes URLs and forms with U+FFFD for invalid UTF-8, so
    a surrogate can't come from there today, but the rule is the same.
    """
    values = [*request.args.items(multi=True), *(request.view_args or {}).items()]
    if request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.items(multi=True)
    for name, value in values:
        for text in (name, value):
            if isinstance(text, str) and unstorable(text):
                abort(400, UNSTORABLE_MESSAGE, details={printable(name): [f"Contains {unstorable(text)}."]})


def refuse_oversized_streams() -> None:
    """413 for a chunked body over MAX_CONTENT_LENGTH on every endpoint, forms
    included: werkzeug cuts such a body at the limit without an error."""
    if request.content_length is None and request.headers.get("Transfer-Encoding"):
        read_body()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(refuse_oversized_streams)
    app.before_request(refuse_unstorable_text)
    app.after_request(security_headers)
