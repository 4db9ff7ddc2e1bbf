"""Signing in with an API key, the session cookie, CSRF, and the write-scope guard."""

import hmac
import secrets

from flask import abort, flash, g, has_request_context, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from collector.extensions import db
from collector.models import ApiKey
from collector.tenancy.keys import end_sessions, find_api_key, has_scope
from collector.web.dashboard.blueprint import bp


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


@bp.record_once
def _use_session_interface(state) -> None:
    state.app.session_interface = SessionInterface()


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_template_global("dashboard_csrf_token")
def _csrf_token_global() -> str:
    return csrf_token()


@bp.before_request
def load_key():
    """Check the CSRF token of every POST, and resolve the signed-in key."""
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            abort(400, "The form expired or did not come from this dashboard; reload the page and try again.")
    g.api_key = None
    key_id = session.get("key_id")
    if key_id is not None:
        key = db.session.get(ApiKey, key_id)
        if key is not None and session.get("key_generation") != key.session_generation:
            session.clear()
            flash("You were signed out; sign in again.", "info")
        elif key is None or key.revoked_at is not None or not has_scope(key, "read"):
            session.clear()
            flash("Your key was revoked or lost its read scope; sign in again.", "error")
        else:
            g.api_key = key
            g.site = key.site
    if g.api_key is None and request.endpoint not in {"dashboard.sign_in", "dashboard.sign_out"}:
        if request.args.get("partial"):
            return "Signed out.", 401
        return redirect(url_for("dashboard.sign_in"))
    return None


@bp.errorhandler(400)
def bad_request(error):
    return render_template("dashboard/error.html", message=error.description), 400


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Paste a secret key with read scope; the session keeps only its id."""
    if request.method == "GET":
        if g.api_key is not None:
            return redirect(url_for("dashboard.index"))
        return render_template("dashboard/sign_in.html")
    key = find_api_key(db.session, request.form.get("key", "").strip())
    if key is None or not has_scope(key, "read"):
        return render_template(
            "dashboard/sign_in.html", error="That key is unknown, revoked or lacks the read scope."
        ), 401
    session.clear()  # a fresh session (and CSRF token) on sign-in
    session["key_id"] = key.id
    session["key_generation"] = key.session_generation
    csrf_token()
    return redirect(url_for("dashboard.index"))


@bp.post("/sign-out")
def sign_out():
    """End this session and, on the server, every other one of the key: a copy of
    the cookie saved before no longer signs in."""
    if g.api_key is not None:
        end_sessions(g.api_key)
        db.session.commit()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("dashboard.sign_in"))


def can_write() -> bool:
    """Whether the signed-in key may change things (write or admin scope)."""
    return has_scope(g.api_key, "write")
