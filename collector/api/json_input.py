"""Reading JSON request bodies: the one parser every JSON endpoint uses.

The widget's endpoints parse their ``text/plain`` bodies with
:func:`parse_body` (``collector.api.ingest.body``); the CX blueprints are
:class:`Blueprint`, whose webargs parser reads bodies the same way. Python's
``json`` module accepts more than the API can store or answer, so this
refuses with 400, on the decoded values, whatever the body's encoding:

* nesting deeper than ``MAX_DEPTH``: ``json`` recurses, and 1,000 levels
  raised RecursionError, a 500;
* ``NaN``, ``Infinity``, ``-Infinity`` and numbers too large for a float
  (``1e400`` becomes ``inf``): not JSON numbers; stored, ``GET
  /v1/responses`` echoed them as invalid JSON, and PostgreSQL refuses them
  (a huge integer stays an exact int: JSON columns keep it, float fields
  answer 422);
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

from collector.api.errors import abort

MAX_DEPTH = 32
# What no text needs and no database stores: NUL, and the surrogate range,
# which in a decoded str can only hold unpaired surrogates.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Text must not contain NUL characters or unpaired surrogates."
# The escapes that decode to one: \u0000, and a high or low surrogate escape
# without its other half (also matches a few escaped backslashes: harmless).
_UNSTORABLE_ESCAPE = re.compile(
    r"\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<![dD][89abAB][0-9a-fA-F]{2}\\u)[dD][c-fC-F])"
)
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))


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
    if (
        limit is not None
        and request.content_length is None
        and len(data) >= limit
        and request.environ["wsgi.input"].read(1)
    ):
        abort(413, "The request body is too large.")
    return data


def parse_json(data: bytes | str) -> Any:
    """Parse a JSON document (UTF-8, -16 or -32, like ``json.loads``), refusing
    what the module docstring lists; raises JSONInputError."""
    text, raw_surrogates = _decoded(data)
    _check_depth(text)
    try:
        value = _DECODER.decode(text)
    except JSONInputError:
        raise
    except (ValueError, RecursionError):
        raise JSONInputError("The body is not valid JSON.") from None
    # A raw NUL is invalid JSON; so a decoded string can hold one only from an
    # escape, or from raw surrogates in the bytes: the usual body costs one find.
    if raw_surrogates or ("\\u" in text and _UNSTORABLE_ESCAPE.search(text)):
        found = _find_unstorable(value)
        if found:
            path, message = found
            raise JSONInputError(UNSTORABLE_MESSAGE, _at(path[::-1], message))
    return value


def _decoded(data: bytes | str) -> tuple[str, bool]:
    """The text, and whether it may hold raw unpaired surrogates (decoded as
    ``json.loads`` does, with surrogatepass, so they are reported by field)."""
    if isinstance(data, str):
        return data, UNSTORABLE.search(data) is not None
    encoding = json.detect_encoding(data)
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(encoding, "surrogatepass"), True
    except UnicodeDecodeError:
        raise JSONInputError("The body is not valid JSON: it is not UTF-8, UTF-16 or UTF-32 text.") from None


def parse_body() -> Any:
    """The request's body parsed by :func:`parse_json`; 400 if it can't be, 413 if too large."""
    try:
        return parse_json(read_body())
    except JSONInputError as error:
        abort(400, error.message, details=error.details)


def _check_depth(text: str) -> None:
    """Raise if ``text`` nests deeper than MAX_DEPTH, counting brackets outside strings."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # too few brackets to nest deeper: the usual body costs two counts
    # In UTF-8 (whose multi-byte sequences hold no ASCII byte): drop escaped
    # backslashes and quotes, left to right as JSON reads them; keep only quotes
    # and brackets; then drop every other piece between quotes, the strings.
    encoded = text.encode("utf-8", "surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = b"".join(encoded.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    depth = 0
    for byte in structure:
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_DEPTH:
            raise JSONInputError(f"The body nests deeper than {MAX_DEPTH} levels.")
        if depth < 0:
            return  # not JSON; json.loads says so


def _refuse_constant(name: str) -> Any:
    raise JSONInputError(f"The body is not valid JSON: {name} is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONInputError(f"The body holds a number too large for a float: {text[:40]}.")
    return value


# Built once: json.loads with hooks builds a decoder and its scanner per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def _find_unstorable(value: Any) -> tuple[list, str] | None:
    """The first string or key holding an unstorable character: (its path, innermost
    first, and a message), or None. Builds nothing until it finds one."""
    if isinstance(value, str):
        problem = unstorable(value)
        return ([], f"Contains {problem}.") if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = unstorable(key)
            if problem:
                return [printable(key)], f"The name contains {problem}."
            found = _find_unstorable(item)
            if found:
                found[0].append(key)
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_unstorable(item)
            if found:
                found[0].append(index)
                return found
    return None


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
