"""Reading JSON request bodies: the one parser every JSON endpoint uses.

The widget's endpoints parse their ``text/plain`` bodies with
:func:`parse_body` (``collector.api.ingest.body``); the CX blueprints are
:class:`Blueprint`, whose webargs parser reads bodies the same way. Python's
``json`` module accepts more than the API can store or answer, so this
refuses with 400, on the decoded values, whatever the body's encoding:

* nesting deeper than ``MAX_DEPTH``: ``json`` recurses, and 1,000 levels
  raised RecursionError, a 500;
* ``NaN``, ``Infinity``, ``-Infinity`` and numbers too large for a float
  (``1e400`` becomes ``inf``; an integer of 309 digits overflows a float
  field): not JSON numbers; stored, ``GET /v1/responses`` echoed them as
  invalid JSON, and PostgreSQL refuses them;
* NUL characters and unpaired surrogates in any string or key, however
  written (``\\u0000`` or ``\\ud800`` escapes, UTF-16 bodies): PostgreSQL
  refuses NUL in text, and neither database driver can encode a lone
  surrogate. The details name the field, as marshmallow's do.

A body over ``MAX_CONTENT_LENGTH`` is 413 whether it came with a
Content-Length or chunked (:func:`read_body`).
"""

import json
import math
import re
from typing import Any

import flask_smorest
from flask import request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from collector.errors import abort

MAX_DEPTH = 32
# What no text needs and no database stores: NUL, and the surrogate range,
# which in a decoded str can only hold unpaired surrogates.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Text must not contain NUL characters or unpaired surrogates."
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONInputError(ValueError):
    """A body the API refuses to parse; ``details`` names the field when there is one."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details


def unstorable(text: str) -> str | None:
    """What in ``text`` can't be stored ("a NUL character", "an unpaired surrogate"), or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    return "a NUL character" if found.group() == "\x00" else "an unpaired surrogate"


def printable(text: str) -> str:
    """``text`` with control characters and surrogates escaped, to name it in a message."""
    return text.encode("unicode_escape").decode("ascii") if UNSTORABLE.search(text) or not text.isprintable() else text


def read_body() -> bytes:
    """The raw body, at most MAX_CONTENT_LENGTH bytes; 413 beyond, however it is framed.

    With a Content-Length werkzeug refuses an oversized body itself. A chunked
    body is cut at the limit without an error, which read as truncated, invalid
    JSON (400); so when the limit is reached, one more byte of the raw input
    tells a body exactly at the limit from one over it.
    """
    data = request.get_data(cache=True)
    limit = request.max_content_length
    if limit is not None and request.content_length is None and len(data) >= limit:
        if request.environ["wsgi.input"].read(1):
            abort(413, "The request body is too large.")
    return data


def parse_json(data: bytes | str) -> Any:
    """Parse a JSON document (UTF-8, -16 or -32, like ``json.loads``), refusing
    what the module docstring lists; raises JSONInputError."""
    if isinstance(data, bytes):
        try:
            data = data.decode(json.detect_encoding(data), "surrogatepass")
        except UnicodeDecodeError:
            raise JSONInputError("The body is not valid JSON: it is not UTF-8, UTF-16 or UTF-32 text.") from None
    _check_depth(data)
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_finite_int)
    except JSONInputError:
        raise
    except (ValueError, RecursionError):
        raise JSONInputError("The body is not valid JSON.") from None
    # Without a \u escape or such a character in the text, no decoded string can hold one.
    if "\\u" in data or UNSTORABLE.search(data):
        _check_text(value, [])
    return value


def parse_body() -> Any:
    """The request's body parsed by :func:`parse_json`; 400 if it can't be, 413 if too large."""
    try:
        return parse_json(read_body())
    except JSONInputError as error:
        abort(400, error.message, details=error.details)


def _check_depth(text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # too few brackets to nest deeper: the usual body costs two counts
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise JSONInputError(f"The body nests deeper than {MAX_DEPTH} levels.")
        else:
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise JSONInputError(f"The body is not valid JSON: {name} is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONInputError(f"The body holds a number too large for a float: {text[:40]}.")
    return value


def _finite_int(text: str) -> int:
    value = int(text)
    try:
        float(value)  # what a float field will do with it
    except OverflowError:
        raise JSONInputError(f"The body holds a number too large for a float: {text[:40]}….") from None
    return value


def _check_text(value: Any, path: list) -> None:
    """Raise for the first string or key holding an unstorable character, naming where it is."""
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            raise JSONInputError(UNSTORABLE_MESSAGE, _at(path, f"Contains {problem}."))
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = unstorable(key)
            if problem:
                raise JSONInputError(UNSTORABLE_MESSAGE, _at([*path, printable(key)], f"The name contains {problem}."))
            _check_text(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, [*path, index])


def _at(path: list, message: str) -> dict:
    """``{"responses": {1: {"comment": [message]}}}`` for path responses/1/comment, as marshmallow nests errors."""
    details: Any = [message]
    for name in reversed(path or ["_schema"]):
        details = {name: details}
    return details


class Parser(FlaskParser):
    """webargs' Flask parser reading JSON bodies with :func:`parse_json`."""

    def _raw_load_json(self, req) -> Any:
        if not is_json_request(req) or not read_body():
            return core.missing  # as webargs does: no JSON body, so required fields are reported
        return parse_body()


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint whose ``arguments`` read JSON with :class:`Parser`."""

    ARGUMENTS_PARSER = Parser()
