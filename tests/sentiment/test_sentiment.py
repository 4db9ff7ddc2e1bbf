"""Behaviour of the CX sentiment scorer that users of the dashboard notice."""

import csv
import json
from pathlib import Path

import pytest

from collector.sentiment import VERSION, Sentiment, score, score_lines

CX_COMMENTS = Path(__file__).parent.parent / "data" / "cx_comments.tsv"


def label(text):
    """Label of one comment."""
    return score(text).label


@pytest.mark.parametrize("text", [None, "", "   ", "\n"])
def test_missing_text_is_neutral(text):
    """No comment scores as neutral zero, not as an error."""
    assert score(text) == Sentiment(0.0, 0.0, "neutral")


def test_version_is_a_nonempty_string():
    """The scorer version stored with each response is set."""
    assert isinstance(VERSION, str) and VERSION


def test_sentiment_is_frozen():
    """A stored result cannot be mutated by accident."""
    with pytest.raises(AttributeError):
        score("great").polarity = 0.0


@pytest.mark.parametrize(
    "text",
    [
        "Checkout was painless.",
        "Seamless sign-up",
        "Smooth and quick delivery",
        "Hassle-free returns",
        "Refund came in two days, no questions asked",
    ],
)
def test_cx_praise_is_positive(text):
    """Domain words TextBlob alone does not know count as praise."""
    assert label(text) == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "What a hassle",
        "Stuck on the payment page",
        "My card was declined",
        "Shipping took forever",
        "I couldn't find the returns page",
        "The app crashed",
        "I was charged twice",
        "Where is my refund?",
    ],
)
def test_cx_complaints_are_negative(text):
    """Domain complaints are negative even without an emotional word."""
    assert label(text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "I used PayPal",
        "Ordering for my mum",
        "Paying with Apple Pay this time.",
        "Do you ship to Ireland?",
        "",
    ],
)
def test_factual_statements_are_neutral(text):
    """Plain facts and questions are not praise or complaints."""
    assert label(text) == "neutral"


def test_not_bad_is_positive():
    """'not bad' is mild praise."""
    assert label("not bad") == "positive"


def test_wasnt_easy_is_negative():
    """A negated positive word flips, also in a contraction."""
    assert label("It wasn't easy") == "negative"
    assert label("It wasnt easy") == "negative"


def test_negation_is_weaker_than_the_opposite_word():
    """'not bad' is less positive than 'good'."""
    assert 0 < score("not bad").polarity < score("good").polarity


def test_negation_stops_at_the_first_sentiment_word():
    """'not worth the hassle' does not turn the hassle into praise."""
    assert label("Not worth the hassle.") == "negative"


def test_negation_stops_at_the_clause_boundary():
    """A 'no' in one clause does not flip the next clause."""
    assert label("No account needed, great") == "positive"


def test_no_problems_is_positive():
    """Negated complaints are praise."""
    assert label("No problems at all") == "positive"
    assert label("Could not be happier!") == "positive"


def test_clause_after_but_decides():
    """The clause after 'but' weighs more than the one before."""
    assert label("Nice design but the checkout is slow and confusing") == "negative"
    assert label("The form was a bit long but overall it was quick and easy") == "positive"


def test_although_clause_weighs_less():
    """A concession ('although ...') counts less than the main clause."""
    assert label("Although the page was slow, the checkout itself was easy.") == "positive"


def test_intensifiers_and_diminishers():
    """'very' strengthens, 'slightly' weakens."""
    plain = score("The checkout is slow").polarity
    assert score("The checkout is very slow").polarity < plain < 0
    assert plain < score("The checkout is slightly slow").polarity < 0


@pytest.mark.parametrize(
    "text,expected",
    [
        ("👍", "positive"),
        ("👎", "negative"),
        ("😡", "negative"),
        ("😍", "positive"),
        ("👍🏽", "positive"),
        ("❤️", "positive"),
        ("easy peasy :)", "positive"),
        ("the coupon didnt work :(", "negative"),
        ("still waiting 😞", "negative"),
        ("thanks:)", "positive"),
    ],
)
def test_emoji_and_emoticons(text, expected):
    """Emoji (with skin tones or variation selectors) and emoticons count."""
    assert label(text) == expected


def test_emoji_moves_a_neutral_comment():
    """An emoji makes an otherwise factual comment an opinion."""
    assert score("arrived today 😊").polarity > score("arrived today").polarity


def test_caps_and_exclamations_strengthen():
    """Shouting and '!!!' make the same words stronger."""
    assert score("TERRIBLE SERVICE").polarity < score("terrible service").polarity < 0
    assert score("Great!!!").polarity > score("Great").polarity > 0
    assert score("The checkout is SLOW").polarity < score("The checkout is slow").polarity


def test_common_misspellings():
    """Typos of common sentiment words are understood."""
    assert label("so dissapointed") == "negative"
    assert label("awsome service") == "positive"
    assert label("verry slow website") == "negative"


def test_stretched_words():
    """'sooo easy' is at least as positive as 'so easy'."""
    assert score("sooo easy").polarity >= score("so easy").polarity > 0


def test_deterministic():
    """The same text always gets the same result."""
    text = "Love the products, but delivery took two weeks 😤"
    assert len({score(text) for _ in range(5)}) == 1


@pytest.mark.parametrize(
    "text",
    [
        "GREAT GREAT GREAT AMAZING BEST EVER!!!!!!!! 😍😍😍😍",
        "worst worst worst horrible awful disgusting!!!! 🤬🤬🤬🤬",
        "not not not not bad",
        "?!?!?!",
        "a" * 5000,
        "Ünïcödé café — naïve façade",
        "http://example.com/path:/x",
    ],
)
def test_range_bounds(text):
    """Polarity stays in [-1, 1], subjectivity in [0, 1], label valid."""
    result = score(text)
    assert -1.0 <= result.polarity <= 1.0
    assert 0.0 <= result.subjectivity <= 1.0
    assert result.label in {"positive", "neutral", "negative"}


def test_factual_comment_has_low_subjectivity():
    """A statement of fact is objective; an opinion is not."""
    assert score("I used PayPal").subjectivity < score("Checkout was painless").subjectivity


def test_score_lines_yields_one_json_object_per_comment():
    """Blank lines are skipped; each object is JSON-serialisable."""
    out = list(score_lines(["Checkout was painless\r\n", "\n", "  ", "charged twice\n"]))
    assert [o["text"] for o in out] == ["Checkout was painless", "charged twice"]
    assert [o["label"] for o in out] == ["positive", "negative"]
    assert set(out[0]) == {"text", "polarity", "subjectivity", "label", "language"}
    json.dumps(out)


def _macro_f1(gold, predicted):
    """Unweighted mean of per-class F1."""
    scores = []
    for cls in ("negative", "neutral", "positive"):
        tp = sum(g == p == cls for g, p in zip(gold, predicted))
        fp = sum(g != cls and p == cls for g, p in zip(gold, predicted))
        fn = sum(g == cls and p != cls for g, p in zip(gold, predicted))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / 3


def test_cx_test_split_macro_f1_quality_gate():
    """Quality gate: macro-F1 on the held-out CX test split is at least 0.85."""
    with CX_COMMENTS.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["split"] == "test"]
    assert len(rows) >= 150
    f1 = _macro_f1([r["label"] for r in rows], [label(r["text"]) for r in rows])
    assert f1 >= 0.85, f"macro-F1 on the CX test split is {f1:.3f}"


def test_labelled_corpus_is_well_formed():
    """At least 320 rows, valid splits and labels, no duplicates."""
    with CX_COMMENTS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) >= 320
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert {r["label"] for r in rows} == {"positive", "neutral", "negative"}
    assert len({r["text"] for r in rows}) == len(rows)
