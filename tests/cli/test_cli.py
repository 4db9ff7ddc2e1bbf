"""The stepsense command: sites, keys, demo seeding and sentiment scoring."""

import json

import sqlalchemy as sa

from collector.models import ApiKey, Response, Site
from tests.helpers import ApiClient


def test_sites_create_prints_keys_once_and_stores_a_hash(runner, rows, client):
    result = runner.invoke(
        args=[
            "sites",
            "create",
            "--name",
            "Shop",
            "--origin",
            "https://shop.example.com",
            "--origin",
            "https://www.shop.example.com/",
        ]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["public_key"].startswith("pk_") and created["secret_key"].startswith("sk_")
    assert created["origins"] == ["https://shop.example.com", "https://www.shop.example.com"]
    (key,) = rows(sa.select(ApiKey))
    assert key.scopes == ["admin"] and created["secret_key"] not in key.key_hash
    assert ApiClient(client, created["secret_key"]).get("/v1/site").json["name"] == "Shop"


def test_sites_create_rejects_a_bad_origin(runner, rows):
    result = runner.invoke(args=["sites", "create", "--name", "Shop", "--origin", "shop.example.com"])
    assert result.exit_code != 0
    assert "origin" in result.output
    assert rows(sa.select(Site)) == []


def test_keys_create_with_scopes(runner, site, client):
    result = runner.invoke(args=["keys", "create", "--site", str(site.id), "--scopes", "read,write"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["scopes"] == ["read", "write"]
    key = ApiClient(client, created["secret_key"])
    assert key.post("/v1/journeys", json={"key": "j"}).status_code == 201
    assert key.get("/v1/keys").status_code == 403


def test_keys_create_rejects_unknown_site_and_scope(runner, site):
    assert runner.invoke(args=["keys", "create", "--site", "999", "--scopes", "read"]).exit_code != 0
    assert runner.invoke(args=["keys", "create", "--site", str(site.id), "--scopes", "root"]).exit_code != 0


def test_demo_seeds_once_with_a_visible_pain_point(runner, rows, client):
    first = runner.invoke(args=["demo", "--no-serve", "--responses", "600"])
    assert first.exit_code == 0, first.output
    assert "/demo/" in first.output
    secret = next(word for word in first.output.split() if word.startswith("sk_"))
    second = runner.invoke(args=["demo", "--no-serve", "--responses", "600"])
    assert second.exit_code == 0
    assert len(rows(sa.select(Response.id))) == 600
    assert ApiClient(client, secret).get("/v1/site").status_code == 401  # each start issues a new key
    new_secret = next(word for word in second.output.split() if word.startswith("sk_"))
    curve = ApiClient(client, new_secret).get("/v1/journeys/checkout/curve").json
    means = {step["step"]: step["emotion"]["mean"] for step in curve["steps"]}
    assert list(means) == ["cart", "shipping", "payment", "confirmation"]
    assert means["payment"] == min(means.values()) and means["payment"] < 0 < means["cart"]


def test_sentiment_scores_each_line_as_json(runner):
    result = runner.invoke(args=["sentiment"], input="Checkout was painless 😀\n\nmy card got declined twice\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["label"] for line in lines] == ["positive", "negative"]
    assert set(lines[0]) == {"text", "polarity", "subjectivity", "label", "language"}
    assert [line["language"] for line in lines] == ["en", "en"]


def test_sentiment_scores_each_line_in_its_language(runner):
    """A German and an Italian comment: one scored in German, one neutral with its language."""
    result = runner.invoke(
        args=["sentiment"], input="Das Paket ist nie angekommen.\nIl pacco non è mai arrivato, servizio pessimo.\n"
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(line["language"], line["label"]) for line in lines] == [("de", "negative"), ("it", "neutral")]
    assert lines[1]["polarity"] == 0.0


def test_demo_seeds_german_and_french_comments_scored_in_their_language(runner, rows):
    """Visitors with a German or French locale comment in their language at shipping and payment."""
    assert runner.invoke(args=["demo", "--no-serve", "--no-browser", "--responses", "1500"]).exit_code == 0
    by_language = {}
    for language, label in rows(
        sa.select(Response.language, Response.sentiment_label).where(Response.comment.is_not(None))
    ):
        by_language.setdefault(language, set()).add(label)
    assert {"en", "de", "fr"} <= set(by_language)
    assert {"negative", "positive"} <= by_language["de"] and {"negative", "positive"} <= by_language["fr"]
