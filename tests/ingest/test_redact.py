"""Comment redaction against a corpus of personal data and of look-alikes that must survive.

tests/data/redaction_cases.tsv: input, expected output, case name. Add a line
for every miss or false alarm found in real comments.
"""

from pathlib import Path

import pytest

from collector.ingest.redact import iban_valid, luhn_valid, redact
from tests.helpers import answer

CORPUS = Path(__file__).parent.parent / "data" / "redaction_cases.tsv"


def _cases():
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text, expected, name = line.split("\t")
            yield pytest.param(text, expected, id=name)


@pytest.mark.parametrize("text, expected", list(_cases()))
def test_redaction_corpus(text, expected):
    assert redact(text) == expected


def test_corpus_has_positive_and_negative_cases():
    cases = list(_cases())
    changed = sum(1 for case in cases if case.values[0] != case.values[1])
    assert changed >= 60 and len(cases) - changed >= 50


def test_every_positive_is_masked_and_no_negative_is_touched():
    """The corpus measured as a whole: recall on personal data, false alarms on look-alikes.

    A positive counts as masked only when its output is the expected one (every
    tag in place, no digit of the number left behind); a negative is clean only
    when it comes back unchanged.
    """
    cases = [case.values for case in _cases()]
    positives = [(text, expected) for text, expected in cases if text != expected]
    negatives = [text for text, expected in cases if text == expected]
    missed = [text for text, expected in positives if redact(text) != expected]
    touched = [f"{text!r} -> {redact(text)!r}" for text in negatives if redact(text) != text]
    assert (len(positives) - len(missed), len(negatives) - len(touched)) == (len(positives), len(negatives)), (
        f"missed {len(missed)}/{len(positives)} positives: {missed}; "
        f"touched {len(touched)}/{len(negatives)} negatives: {touched}"
    )


def test_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 01")
    assert iban_valid("gb82west12345698765432")


def test_comments_are_redacted_before_storage(send, site, api):
    comment = (
        "I'm jane@example.com, +49 30 1234567, card 4111 1111 1111 1111, IBAN DE89370400440532013000, from 10.0.0.7"
    )
    assert send(answer(site, kind="comment", score=None, comment=comment), site).status_code == 201
    stored = api.get("/v1/responses").json["items"][0]["comment"]
    assert stored == "I'm [email], [phone], card [card], IBAN [iban], from [ip]"
