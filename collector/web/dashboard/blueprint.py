"""The dashboard's blueprint, in a module of its own so the view modules and the
package can all import it without a cycle."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
