"""HTML pages of the collector itself (the landing page) and the headers every response gets."""

from flask import Blueprint, Flask, Response, render_template, request

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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(security_headers)
