"""The theme engine: what a CX team sees for a step's comments, and that it holds still."""

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from collector.analytics.themes import Comment, Curation, ThemeModel, assign, build, counts, summarise

EVAL = Path(__file__).resolve().parents[1] / "data" / "themes_eval.tsv"

SMALL = [
    "My card was declined",
    "card declined again",
    "Payment declined, card is fine",
    "my credit card got rejected",
    "The promo code does not work",
    "promo code invalid",
    "where do I enter my voucher code",
    "discount code not accepted",
    "Shipping costs are too high",
    "shipping is too expensive",
    "why is delivery so expensive",
    "postage costs a fortune",
    "ok",
    "thanks",
    "buying a gift",
]


def comments(texts, language="en", start=0):
    return [Comment(start + i, text, language) for i, text in enumerate(texts)]


def primary(model, comment_id):
    keys = model.assignments[str(comment_id)]
    return keys[0] if keys else None


def eval_rows(language, step):
    with EVAL.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [r for r in rows if r["language"] == language and r["step"] == step]


def test_small_set_gives_the_themes_a_person_would_name():
    """Three reasons written four ways each become three themes named by a phrase people wrote."""
    model = build(comments(SMALL))
    assert {t.key: t.label for t in model.themes} == {
        "card-declined": "card declined",
        "promo-code": "promo code",
        "costs": "costs",
    }
    themes = [primary(model, i) for i in range(len(SMALL))]
    assert themes == ["card-declined"] * 4 + ["promo-code"] * 4 + ["costs"] * 4 + [None] * 3
    assert assign(model, "my visa was declined", "en")[0] == "card-declined"
    assert assign(model, "coupon code wont apply", "en")[0] == "promo-code"
    assert assign(model, "delivery fee too high", "en")[0] == "costs"
    assert assign(model, "hello", "en") == []


def test_a_step_where_everyone_says_the_same_has_that_one_theme():
    model = build(comments(["card declined"] * 10 + ["ok"] * 3))
    assert [t.key for t in model.themes] == ["card-declined"]
    assert [primary(model, i) for i in range(13)] == ["card-declined"] * 10 + [None] * 3


def test_no_comments_or_no_words_give_no_themes():
    assert build([]).themes == []
    assert assign(build([]), "card declined", "en") == []
    lone = build(comments(["card declined"]))
    assert lone.themes == [] and lone.assignments == {"0": []}


def test_a_label_in_another_script_gets_an_ascii_key():
    model = build(comments(["карта отклонена"] * 5 + ["доставка дорогая"] * 5, "ru"))
    assert sorted(t.label for t in model.themes) == ["доставка дорогая", "карта отклонена"]
    assert all(t.key.isascii() and t.key.startswith("theme-") for t in model.themes)


def test_same_comments_in_any_order_give_the_same_model():
    first = build(comments(SMALL))
    shuffled = comments(SMALL)
    random.Random(3).shuffle(shuffled)
    second = build(shuffled)
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(second.to_dict(), sort_keys=True)


def test_a_rebuild_over_the_same_comments_keeps_every_key_and_assignment():
    rows = eval_rows("en", "payment")
    items = [Comment(i, r["text"], "en") for i, r in enumerate(rows)]
    first = build(items)
    again = build(items, previous=first)
    assert [t.key for t in again.themes] == [t.key for t in first.themes]
    assert again.assignments == first.assignments


@pytest.mark.parametrize("step", ["payment", "shipping", "cart"])
def test_ten_percent_more_comments_keep_most_primary_themes(step):
    rows = eval_rows("en", step)
    cut = round(len(rows) / 1.1)
    rng = random.Random(5)
    order = list(range(len(rows)))
    rng.shuffle(order)
    old = [Comment(i, rows[i]["text"], "en") for i in order[:cut]]
    new = [Comment(i, rows[i]["text"], "en") for i in order[cut:]]
    before = build(old)
    after = build(old + new, previous=before)
    kept = sum(primary(before, c.id) == primary(after, c.id) for c in old)
    assert kept / len(old) >= 0.8


def test_assign_reads_a_comment_exactly_as_the_rebuild_did():
    rows = eval_rows("en", "shipping") + eval_rows("en", "cart")
    items = [Comment(i, r["text"], "en") for i, r in enumerate(rows)]
    model = build(items)
    assert all(assign(model, c.text, c.language) == model.assignments[str(c.id)] for c in items)


def test_a_stored_model_assigns_like_the_built_one():
    model = build(comments(SMALL))
    stored = ThemeModel.from_dict(json.loads(json.dumps(model.to_dict(assignments=False))))
    for text in SMALL + ["card refused", "code promo expired", "costs of shipping"]:
        assert assign(stored, text, "en") == assign(model, text, "en")


# -- curation -------------------------------------------------------------------------------------

PAYMENT = [
    "My card was declined",
    "card declined again",
    "Payment declined, card is fine",
    "my credit card got declined",
    "PayPal window closes and nothing happens",
    "paypal button does not load",
    "stuck after logging into paypal",
    "paypal login loop",
    "Please add Apple Pay",
    "no apple pay option",
    "would like to pay with Klarna",
    "where is google pay",
    "please offer apple pay",
    "I was charged twice",
    "charged twice for one order",
    "money taken twice from my account",
]


def keyed(model):
    return {t.key: t for t in model.themes}


def test_rename_survives_a_rebuild_and_names_new_comments_theme():
    model = build(comments(PAYMENT))
    key = primary(model, 4)  # the PayPal theme
    curation = Curation().rename(key, "PayPal problems")
    renamed = build(comments(PAYMENT), curation, previous=model)
    more = build(comments(PAYMENT + ["paypal keeps erroring"]), curation, previous=renamed)
    assert keyed(renamed)[key].label == "PayPal problems"
    assert keyed(more)[key].label == "PayPal problems"
    assert assign(more, "paypal froze", "en")[0] == key


def test_merge_folds_one_theme_into_another_for_old_and_new_comments():
    model = build(comments(PAYMENT))
    card, paypal = primary(model, 0), primary(model, 4)
    assert card != paypal
    curation = Curation().merge([paypal], into=card)
    merged = build(comments(PAYMENT), curation, previous=model)
    assert paypal not in keyed(merged)
    assert {primary(merged, i) for i in range(8)} == {card}
    again = build(comments(PAYMENT + ["paypal keeps erroring"]), curation, previous=merged)
    assert paypal not in keyed(again)
    assert primary(again, len(PAYMENT)) == card
    assert assign(again, "paypal froze", "en")[0] == card
    assert merged.theme(paypal).key == card  # old links to the merged key still resolve


def test_split_takes_comments_with_a_phrase_into_their_own_theme():
    model = build(comments(PAYMENT))
    methods = primary(model, 10)  # Klarna: other ways to pay
    assert primary(model, 8) == methods
    curation = Curation().split("wallet", "Apple Pay", ["apple pay"], parent=methods)
    split = build(comments(PAYMENT), curation, previous=model)
    assert [primary(split, i) for i in (8, 9, 12)] == ["wallet"] * 3
    assert primary(split, 10) == methods
    assert assign(split, "can I use apple pay?", "en")[0] == "wallet"
    declines = Curation().split("declines", "Declines", ["declined"], parent=methods)
    only_parent = build(comments(PAYMENT), declines, previous=model)
    assert primary(only_parent, 0) == primary(model, 0)  # "declined" outside the parent theme stays put
    rebuilt = build(comments(PAYMENT + ["apple pay missing"]), curation, previous=split)
    assert primary(rebuilt, len(PAYMENT)) == "wallet"
    assert keyed(rebuilt)["wallet"].label == "Apple Pay"


def test_a_split_cannot_take_the_key_of_a_theme_that_exists():
    model = build(comments(PAYMENT))
    curation = Curation().split(primary(model, 0), "Cards", ["visa"])
    with pytest.raises(ValueError, match="already names a theme"):
        build(comments(PAYMENT), curation, previous=model)


def test_a_pinned_theme_stays_when_its_comments_are_gone():
    model = build(comments(PAYMENT))
    twice = primary(model, 13)
    curation = Curation().pin(twice)
    pinned = build(comments(PAYMENT), curation, previous=model)
    without = build(comments(PAYMENT[:13]), curation, previous=pinned)
    assert twice in keyed(without)
    assert keyed(without)[twice].pinned
    assert without.themes[0].key == twice  # pinned themes are listed first
    assert assign(without, "charged twice!", "en")[0] == twice


def test_a_hidden_theme_is_still_assigned_but_left_out_of_the_summary():
    model = build(comments(PAYMENT))
    twice = primary(model, 13)
    curation = Curation().hide(twice)
    hidden = build(comments(PAYMENT), curation, previous=model)
    rebuilt = build(comments(PAYMENT), curation, previous=hidden)
    assert primary(rebuilt, 13) == twice
    assert assign(rebuilt, "charged twice!", "en")[0] == twice
    items = comments(PAYMENT)
    assert twice not in {row["key"] for row in summarise(rebuilt, items)}
    assert twice in {row["key"] for row in summarise(rebuilt, items, include_hidden=True)}


def test_curation_round_trips_through_json():
    curation = Curation().rename("a", "A").merge(["b"], into="a").split("c", "C", ["gift card"], "a").pin("a").hide("d")
    assert Curation.from_dict(json.loads(json.dumps(curation.to_dict()))) == curation


# -- languages -------------------------------------------------------------------------------------

GERMAN = [
    "Meine Karte wurde abgelehnt",
    "Kreditkarte wird immer abgelehnt",
    "Karte abgelehnt, keine Erklärung",
    "die Karte wird abgelehnt obwohl Geld drauf ist",
    "Versandkosten sind zu hoch",
    "Die Versandkosten sind unverschämt",
    "Warum kostet der Versand so viel?",
    "Versand ist zu teuer",
    "Danke",
    "alles gut",
]

FRENCH = [
    "Ma carte a été refusée",
    "Carte bancaire refusée trois fois",
    "carte refusée sans explication",
    "ma carte est refusée alors que j'ai de l'argent",
    "Frais de port trop élevés",
    "les frais de port sont exorbitants",
    "frais de livraison trop chers",
    "La livraison coûte trop cher",
    "Merci",
    "parfait",
]


@pytest.mark.parametrize(
    ("language", "texts", "new_card", "new_shipping"),
    [
        ("de", GERMAN, "Meine Visa wurde abgelehnt", "Versand viel zu teuer"),
        ("fr", FRENCH, "ma carte visa est refusée", "les frais de port sont trop chers"),
    ],
)
def test_german_and_french_comments_group_by_reason(language, texts, new_card, new_shipping):
    model = build(comments(texts, language))
    card, shipping = primary(model, 0), primary(model, 4)
    assert card and shipping and card != shipping
    assert [primary(model, i) for i in range(10)] == [card] * 4 + [shipping] * 4 + [None] * 2
    assert assign(model, new_card, language)[0] == card
    assert assign(model, new_shipping, language)[0] == shipping
    labels = {t.key: t.label.lower() for t in model.themes}
    assert any(word in labels[card] for word in ("karte", "abgelehnt", "carte", "refus"))


def test_german_and_french_comments_join_the_english_themes_of_their_step():
    """One step, three languages (a shop with three locales): "Karte abgelehnt" and "carte
    refusée" are the "card declined" theme, not themes of their own; labels stay English,
    the step's main language."""
    english = SMALL[:4] + SMALL[8:12] + ["my card was declined twice", "shipping costs way too high"]
    texts = [(text, "en") for text in english]
    texts += [(text, "de") for text in GERMAN[:2] + GERMAN[4:6]]
    texts += [(text, "fr") for text in FRENCH[:2] + FRENCH[4:6]]
    model = build([Comment(i, text, language) for i, (text, language) in enumerate(texts)])
    card = [0, 1, 2, 3, 8, 10, 11, 14, 15]
    shipping = [4, 5, 6, 7, 9, 12, 13, 16, 17]
    card_key, shipping_key = primary(model, 0), primary(model, 4)
    assert {primary(model, i) for i in card} == {card_key}
    assert {primary(model, i) for i in shipping} == {shipping_key} != {card_key}
    assert "declined" in model.theme(card_key).label  # English, as most of the step wrote
    assert any(word in model.theme(shipping_key).label for word in ("shipping", "costs"))
    assert assign(model, "Meine Visa wurde abgelehnt", "de")[0] == card_key
    assert assign(model, "ma carte visa est refusée", "fr")[0] == card_key
    assert assign(model, "frais de port trop chers", "fr")[0] == shipping_key


def test_a_locale_is_read_as_its_language():
    model = build(comments(GERMAN, "de-CH"))
    assert assign(model, "Karte abgelehnt", "de_AT")[0] == primary(model, 0)


# -- summary -------------------------------------------------------------------------------------


def test_summary_counts_feelings_and_change_against_the_previous_window():
    items = [
        Comment(i, text, "en", "negative" if i % 3 else "neutral", -0.5 if i % 2 else -0.1)
        for i, text in enumerate(SMALL)
    ]
    model = build(items)
    rows = {row["key"]: row for row in summarise(model, items, previous_counts={"card-declined": 1}, previous_total=10)}
    card = rows["card-declined"]
    assert card["count"] == 4 and card["primary"] == 4
    assert card["share"] == pytest.approx(4 / 15)
    assert card["share_change"] == pytest.approx(4 / 15 - 1 / 10)
    assert card["sentiment"] == {"negative": 2, "neutral": 2, "positive": 0}
    assert card["emotion"]["mean"] == pytest.approx(-0.3)
    assert card["emotion"]["ci_low"] < -0.3 < card["emotion"]["ci_high"]
    assert card["examples"] and all(text in SMALL for text in card["examples"])
    assert card["phrases"][0] == "card declined"
    assert counts(model.assignments)["promo-code"] == 4
    assert rows["costs"]["share_change"] == pytest.approx(4 / 15)


def test_the_model_does_not_depend_on_the_process_hash_seed():
    """Sets and dicts iterate differently per process; the themes must not."""
    script = (
        "import json, sys; sys.path.insert(0, '.');"
        "from tests.analytics.test_themes import eval_rows;"
        "from collector.analytics.themes import Comment, build;"
        "rows = eval_rows('de', 'zahlung') + eval_rows('de', 'versand');"
        "model = build([Comment(i, r['text'], 'de') for i, r in enumerate(rows)]);"
        "print(json.dumps(model.to_dict(), sort_keys=True))"
    )
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
