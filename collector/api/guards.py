"""Request guards for every endpoint of the app, pages and forms included:
text no column can store, and chunked bodies over the size limit."""

from flask import Flask, request

from collector.api.errors import abort
from collector.api.json_input import UNSTORABLE_MESSAGE, printable, read_body, unstorable


def refuse_unstorable_text() -> None:
    """400 for a NUL character or an unpaired surrogate in the path, query or form:
    no text needs one, and PostgreSQL refuses NUL in text (SQLite stored it).

    JSON bodies are checked where they are parsed, on the decoded strings
    (``collector.api.json_input``), so escapes, UTF-16 and chunked bodies are
    covered; werkzeug decodes URLs and forms with U+FFFD for invalid UTF-8, so
    a surrogate can't come from there today, but the rule is the same.
    """
    values = [*request.args.items(multi=True), *(request.view_args or {}).items()]
    if request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.items(multi=True)
    for name, value in values:
        for text in (name, value):
            if isinstance(text, str) and unstorable(text):
                abort(400, UNSTORABLE_MESSAGE, details={printable(name): [f"Contains {unstorable(text)}."]})


def refuse_oversized_streams() -> None:
    """413 for a chunked body over MAX_CONTENT_LENGTH on every endpoint, forms
    included: werkzeug cuts such a body at the limit without an error."""
    if request.content_length is None and request.headers.get("Transfer-Encoding"):
        read_body()


def init_app(app: Flask) -> None:
    app.before_request(refuse_oversized_streams)
    app.before_request(refuse_unstorable_text)
