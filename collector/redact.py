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
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
H16 = r"[0-9A-Fa-f]{1,4}"
IPV6 = re.compile(
    rf"(?<![\w:])(?:(?:{H16}:){{7}}{H16}|(?:{H16}(?::{H16})*)?::(?:{H16}(?::{H16})*)?)(?![\w:])"
)
# International or national numbers with at least 7 digits, e.g. +49 30 1234567,
# (555) 123-4567, 0171/1234567. Years, prices and order numbers are kept by
# requiring a phone-like shape: a leading + or 0 or parenthesised area code.
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?|\(\d{2,5}\)[ .-]?|0)\d(?:[ ./-]?\d){5,13}(?!\d)")


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
    compact = candidate.replace(" ", "")
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


def redact(text: str) -> str:
    """Return ``text`` with e-mails, card numbers, IBANs, IPs and phone numbers masked."""
    text = EMAIL.sub("[email]", text)
    text = IBAN.sub(lambda m: "[iban]" if iban_valid(m.group()) else m.group(), text)
    text = CARD.sub(_replace_card, text)
    text = IPV4.sub(lambda m: "[ip]" if _ip_valid(m.group()) else m.group(), text)
    text = IPV6.sub(lambda m: "[ip]" if _ip_valid(m.group()) else m.group(), text)
    text = PHONE.sub("[phone]", text)
    return text
