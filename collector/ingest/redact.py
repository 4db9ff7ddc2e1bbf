"""Remove personal data from free-text comments before they are stored.

Visitors type e-mail addresses, phone numbers and even card numbers into
feedback boxes. Each match is replaced by a bracketed tag such as ``[email]``
so a CX reader still sees that something was there.
"""

import ipaddress
import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13–19 digits, optionally grouped by spaces or dashes; confirmed with Luhn.
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# Grouped by spaces or dashes as people type them (DE89 3704 …, DE89-3704-…, DE 89 …).
IBAN = re.compile(r"\b[A-Z]{2}[ -]?\d{2}(?:[ -]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
IBAN_SEPARATORS = " -"
# ISO 13616 lengths per country: a candidate is cut to its country's length, so
# "DE89 3704 0044 0532 0130 00 OK" is found, and unknown countries are left alone.
IBAN_LENGTHS = {
    entry[:2]: int(entry[2:])
    for entry in [
        "AD24",
        "AE23",
        "AL28",
        "AT20",
        "AZ28",
        "BA20",
        "BE16",
        "BG22",
        "BH22",
        "BR29",
        "BY28",
        "CH21",
        "CR22",
        "CY28",
        "CZ24",
        "DE22",
        "DK18",
        "DO28",
        "EE20",
        "EG29",
        "ES24",
        "FI18",
        "FO18",
        "FR27",
        "GB22",
        "GE22",
        "GI23",
        "GL18",
        "GR27",
        "GT28",
        "HR21",
        "HU28",
        "IE22",
        "IL23",
        "IQ23",
        "IS26",
        "IT27",
        "JO30",
        "KW30",
        "KZ20",
        "LB28",
        "LC32",
        "LI21",
        "LT20",
        "LU20",
        "LV21",
        "MC27",
        "MD24",
        "ME22",
        "MK19",
        "MR27",
        "MT31",
        "MU30",
        "NL18",
        "NO15",
        "PK24",
        "PL28",
        "PS29",
        "PT25",
        "QA29",
        "RO24",
        "RS22",
        "SA24",
        "SC31",
        "SE24",
        "SI19",
        "SK24",
        "SM27",
        "ST25",
        "SV28",
        "TL23",
        "TN24",
        "TR26",
        "UA29",
        "VA22",
        "VG24",
        "XK20",
    ]
}
# Not after a "v" (v1.2.3.4 is a version); a sentence's final period may follow.
IPV4 = re.compile(r"(?<![\d.vV])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")
H16 = r"[0-9A-Fa-f]{1,4}"
IPV6 = re.compile(
    rf"(?<![\w:])(?:(?:{H16}:){{7}}{H16}|(?:{H16}(?::{H16})*)?::(?:(?:{H16}:)*\d{{1,3}}(?:\.\d{{1,3}}){{3}}|(?:{H16}(?::{H16})*)?))(?![\w:])"
)
# International or national numbers with at least 7 digits, e.g. +49 30 1234567,
# 020 7946 0958, 0171/1234567, 06.12.34.56.78. Years, prices and order numbers
# are kept by requiring a phone-like shape: a leading + or 0 or a parenthesised
# area code. Dates such as 03/15/2024 or 01.02.2024 are not phone numbers, but
# five dotted pairs (06.12.34.56.78) are not a date.
_NOT_A_DATE = r"(?!\d{1,2}([./-])\d{1,2}\1\d{2,4}(?!\d|[./-]\d))"
PHONE = re.compile(
    rf"(?<![\w+]){_NOT_A_DATE}(?:\+\d{{1,3}}[ .-]?(?:\(0\)[ .-]?)?|\(\d{{2,5}}\)[ .-]?|0)\d(?:[ ./-]?\d){{5,13}}(?!\d)"
)
# North American numbers, which start with neither + nor 0: three digits, three
# digits, four digits, e.g. 555-123-4567, 555.123.4567, (202) 555-0143,
# 1-800-555-0199, +1 (202) 555-0143. Grouped by spaces or not at all
# (202 555 0143, 2025550143) they must also follow the NANP plan (area code and
# exchange begin with 2-9), which keeps most other numbers. A number after "#"
# is an order number; one inside a longer number, price or decimal is not a
# phone. Deliberate: a bare 10-digit number of that shape ("order 2125550143")
# is masked, since it cannot be told from a phone number.
NANP = re.compile(
    r"(?<![\w#+.,/-])(?:\+?1[ .-]?)?"
    r"(?:\(\d{3}\)[ .-]?\d{3}[ .-]?|\d{3}(?P<sep>[.-])\d{3}(?P=sep)|[2-9]\d{2}(?P<space> ?)[2-9]\d{2}(?P=space))"
    r"\d{4}(?![\w-]|[.,/]\d)"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616 check digits: the rearranged number mod 97 equals 1."""
    compact = re.sub(r"[ -]", "", candidate).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _ip_valid(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _replace_card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()


def _iban_length(found: str) -> int:
    """How many characters of ``found`` make its leading IBAN, or 0 if it holds none.

    The IBAN is cut to its country's length and must pass its check digits.
    """
    length = IBAN_LENGTHS.get(found[:2].upper())
    if length is None:
        return 0
    taken, end = 0, 0
    for end, char in enumerate(found, 1):  # noqa: B007 - end is read after the loop
        taken += char not in IBAN_SEPARATORS
        if taken == length:
            break
    candidate = found[:end]
    if taken != length or not iban_valid(candidate) or sum(c.isdigit() for c in candidate[4:]) < 8:
        return 0
    return end


def _mask_ibans(text: str) -> str:
    """Replace every IBAN by ``[iban]``.

    A candidate match runs on over the words after it (up to 34 characters), so
    the search goes on right after a masked IBAN, or inside a candidate that
    held none: two IBANs in one sentence are both found.
    """
    parts, position = [], 0
    while match := IBAN.search(text, position):
        end = _iban_length(match.group())
        if end:
            parts.append(text[position : match.start()] + "[iban]")
            position = match.start() + end
        else:
            parts.append(text[position : match.start() + 1])
            position = match.start() + 1
    return "".join(parts) + text[position:]


def redact(text: str) -> str:
    """Return ``text`` with e-mails, card numbers, IBANs, IPs and phone numbers masked."""
    text = EMAIL.sub("[email]", text)
    text = _mask_ibans(text)
    text = CARD.sub(_replace_card, text)
    text = IPV6.sub(lambda m: "[ip]" if _ip_valid(m.group()) else m.group(), text)
    text = IPV4.sub(lambda m: "[ip]" if _ip_valid(m.group()) else m.group(), text)
    text = NANP.sub("[phone]", text)
    text = PHONE.sub("[phone]", text)
    return text
