"""``json``: the curve as the curve endpoint serves it, the ``themes`` of every step
(as ``GET /v1/journeys/{key}/themes`` gives them, same filters), plus an ``export``
block (format, filters, scorer versions, generation time)."""

import json
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collector.exports.base import Progress, curve, metadata
from collector.exports.themes import journey_themes
from collector.models import Journey

# Escaped so the file stays inert if someone pastes it into HTML or a viewer
# that honours bidi overrides; every JSON parser reads the same strings back.
_UNSAFE = re.compile("[<>&\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def document(session: Session, journey: Journey, filters: dict[str, Any]) -> dict[str, Any]:
    """The curve with its export metadata and every step's themes (``GET …/themes``'s steps)."""
    return {
        **curve(session, journey, filters),
        "themes": journey_themes(session, journey, filters),
        "export": metadata(session, journey, filters, "json"),
    }


def dumps(value: Any) -> str:
    """JSON text with HTML-significant and bidi characters as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    yield (dumps(document(session, journey, filters)) + "\n").encode("utf-8")
