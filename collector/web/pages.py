"""HTML pages of the collector itself (the landing page) and the headers every response gets."""

from flask import Blueprint, Flask, Response, render_template, request

from collector.common.errors import Malformed

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


def refuse_nul_bytes() -> None:
    """400 for a NUL character in the path, query, form or JSON body: no text needs
    one, and PostgreSQL refuses them in text, which would otherwise surface as a 500."""
    values = [*request.args.keys(), *request.args.values(), *(request.view_args or {}).values()]
    if request.mimetype == "application/x-www-form-urlencoded":
        values += [*request.form.keys(), *request.form.values()]
    has_nul = any("\x00" in value for value in values if isinstance(value, str))
    if not has_nul and request.mimetype in ("application/json", "text/plain") and request.content_length:
        has_nul = b"\\u0000" in request.get_data(cache=True)  # JSON's escape; a raw NUL is invalid JSON anyway
    if has_nul:
        raise Malformed("Text must not contain NUL characters.")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(refuse_nul_bytes)
    app.after_request(security_headers)
