"""Serving the built widget and the demo shop pages (no browser needed)."""

import gzip
import re

import pytest

from collector.demo.shop import STEPS


@pytest.mark.parametrize("path", ["/widget.js", "/widget-ui.js"])
def test_widget_files_are_served_cacheable_and_small(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert len(gzip.compress(response.data, 9)) <= 5 * 1024
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_widget_loads_its_ui_by_content_hash(client):
    """widget.js asks for the very widget-ui.js build it was made with."""
    import hashlib

    core = client.get("/widget.js").data.decode()
    ui = client.get("/widget-ui.js").data
    assert f"/widget-ui.js?v={hashlib.sha256(ui).hexdigest()[:10]}" in core


@pytest.mark.parametrize("step", [key for key, _ in STEPS])
def test_demo_shop_pages_embed_the_widget_without_inline_script(client, step):
    response = client.get(f"/demo/shop/{step}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self' applies
    # The payment page's own script (its half-broken coupon button) is a file from 'self' too.
    own = ['<script src="/static/demo/payment.js" defer>'] if step == "payment" else []
    assert re.findall(r"<script[^>]*>", html) == ['<script async src="/widget.js" data-site="pk_demo">', *own]
    assert f'data-stepsense-step="{step}"' in html and 'data-stepsense-journey="checkout"' in html


def test_demo_index_and_unknown_step(client):
    assert "Open the demo shop" in client.get("/demo/").get_data(as_text=True)
    assert client.get("/demo/shop/refund").status_code == 404


def test_production_app_has_no_demo_shop(database_url):
    """The demo shop is mounted by ``stepsense demo`` or DEMO_ENABLED, never by default."""
    from collector import create_app
    from collector.config import Config

    app = create_app(
        {
            **{k: getattr(Config, k) for k in dir(Config) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": database_url,
            "DEMO_ENABLED": False,
        }
    )
    assert app.test_client().get("/demo/").status_code == 404
