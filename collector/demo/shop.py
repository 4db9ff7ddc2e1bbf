"""The demo shop: four server-rendered checkout pages with the widget embedded.

Mounted only in demo mode (``DEMO_ENABLED``, or ``stepsense demo``), never in a
production app. `stepsense demo` seeds the `pk_demo` site whose checkout journey matches these
pages, so a new user can answer real prompts and find the answers in the API.
The pages pass the app's CSP: no inline scripts, only the widget's script tag.
"""

from flask import Blueprint, Flask, abort, render_template

from collector.demo.seed import DEMO_PUBLIC_KEY

bp = Blueprint("demo_shop", __name__, url_prefix="/demo")

CART = [
    {"name": "Trail running shoes", "variant": "Size 42 · Ocean blue", "qty": 1, "price": 119.00, "swatch": "#2563eb"},
    {"name": "Merino running socks", "variant": "3-pack · Grey", "qty": 2, "price": 14.50, "swatch": "#6b7280"},
    {"name": "Soft flask 500 ml", "variant": "Clear", "qty": 1, "price": 22.00, "swatch": "#10b981"},
]
SHIPPING = [
    ("standard", "Standard", "3–5 business days", 4.90),
    ("express", "Express", "1–2 business days", 9.90),
    ("pickup", "Pick up in store", "Ready tomorrow", 0.0),
]
STEPS = [("cart", "Cart"), ("shipping", "Shipping"), ("payment", "Payment"), ("confirmation", "Confirmation")]


def _context(step: str) -> dict:
    subtotal = sum(item["qty"] * item["price"] for item in CART)
    keys = [key for key, _ in STEPS]
    index = keys.index(step)
    return {
        "step": step,
        "steps": STEPS,
        "index": index,
        "next_step": keys[index + 1] if index + 1 < len(keys) else None,
        "cart": CART,
        "shipping": SHIPPING,
        "subtotal": subtotal,
        "total": subtotal + SHIPPING[0][3],
        "site_key": DEMO_PUBLIC_KEY,
    }


@bp.get("/")
def index():
    """What the demo is and where to go."""
    return render_template("demo/index.html", steps=STEPS)


@bp.get("/shop/")
@bp.get("/shop/<step>")
def shop(step: str = "cart"):
    """One checkout step of the demo shop; the widget asks what this step's prompts say."""
    if step not in dict(STEPS):
        abort(404)
    return render_template(f"demo/{step}.html", **_context(step))


def init_app(app: Flask) -> None:
    """Mount the shop's pages under /demo/ (once)."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
