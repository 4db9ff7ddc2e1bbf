"""Each answer's comment language: detected at ingest, listed, filtered, and
scored in that language; one without a scorer stays neutral."""

import pytest

from tests.helpers import answer

COMMENTS = [
    ("de-DE", "Die Zahlung wurde dreimal abgelehnt, total nervig.", "de", "negative"),
    ("de-DE", "Super schnell und unkompliziert bezahlt, danke!", "de", "positive"),
    ("fr-FR", "Paiement refusé sans explication, c'est pénible.", "fr", "negative"),
    ("fr-FR", "Livraison rapide et très bon service, merci !", "fr", "positive"),
    ("en-GB", "Checkout was painless, done in a minute.", "en", "positive"),
    ("it-IT", "Il pagamento è stato rifiutato tre volte, che disastro.", "it", "neutral"),
]


@pytest.fixture
def stored(send, site):
    for index, (locale, comment, _, _) in enumerate(COMMENTS):
        body = answer(
            site,
            kind="comment",
            score=None,
            comment=comment,
            locale=locale,
            client_id=f"7a4e0c1d-0000-4000-8000-{index:012d}",
        )
        assert send(body, site).status_code == 201
    return site


def test_language_is_detected_stored_and_listed(stored, api):
    items = api.get("/v1/responses", limit=50).json["items"]
    got = {item["comment"]: (item["language"], item["sentiment"]["label"]) for item in items}
    assert got == {comment: (language, label) for _, comment, language, label in COMMENTS}


def test_a_language_without_a_scorer_stays_neutral(stored, api):
    italian = api.get("/v1/responses", language="it").json["items"]
    assert [(item["sentiment"]["label"], item["sentiment"]["polarity"]) for item in italian] == [("neutral", 0.0)]


def test_listing_filters_by_language(stored, api):
    german = api.get("/v1/responses", language="de").json["items"]
    assert sorted(item["comment"] for item in german) == sorted(c for _, c, lang, _ in COMMENTS if lang == "de")


def test_a_bad_language_filter_is_refused(stored, api):
    response = api.get("/v1/responses", language="german")
    assert response.status_code == 422
    assert "language" in response.json["error"]["details"]


def test_an_answer_without_comment_has_no_language(send, site, api):
    assert send(answer(site, client_id="7a4e0c1d-0000-4000-8000-00000000ffff"), site).status_code == 201
    assert [item["language"] for item in api.get("/v1/responses").json["items"]] == [None]


def test_curve_and_exports_filter_by_language(stored, api):
    """A CX team reads the curve of German comments only; impressions can't be split by language."""
    curve = api.get("/v1/journeys/checkout/curve", language="de").json
    payment = next(step for step in curve["steps"] if step["step"] == "payment")
    assert payment["responses"] == 2
    assert payment["impressions"] is None
    assert curve["segment"]["language"] == "de"
    assert curve["source"] == "raw"
    rows = api.get("/v1/journeys/checkout/export", format="csv", language="fr").get_data(as_text=True).splitlines()
    assert len(rows) == 1 + 2  # the header and the two French comments
    assert all("refusé" in row or "Livraison" in row for row in rows[1:])
