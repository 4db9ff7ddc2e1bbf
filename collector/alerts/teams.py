"""Alerts and digests as Microsoft Teams messages: an Adaptive Card (1.4) for a
Teams incoming webhook (a Workflows "post to a channel when a webhook request
is received" flow, or a classic connector).

``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "contentUrl": null, "content":
{"$schema", "type": "AdaptiveCard", "version": "1.4", "body": [TextBlock title,
TextBlock summary, FactSet, TextBlocks per part of a digest, TextBlock per
comment], "actions": [Action.OpenUrl to the dashboard]}}]}``, kept under the
28 KB Teams accepts per message.

Adaptive Cards render no HTML, but TextBlock text and facts are Markdown:
everything from data is one line with Markdown's punctuation escaped by a
backslash, so a comment can't make a link, a list or bold text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from collector.alerts.messages import Message, clip, one_line

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_BYTES = 28 * 1024
TEXT_CHARS = 2000

# Characters that make emphasis, code, links or autolinks anywhere in a line.
_INLINE = re.compile(r"([\\`*_~\[\]<>])")
# What makes a list item, heading or quote at the start of a line.
_LEADING = re.compile(r"^(\d+(?=[.)])|)([-+#.)])")


def escape(text: str) -> str:
    """Markdown-inert text: one line, with a backslash before each character that would format it."""
    escaped = _INLINE.sub(r"\\\1", one_line(text))
    return _LEADING.sub(lambda match: match.group(1) + "\\" + match.group(2), escaped)


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(clip(text, TEXT_CHARS)), "wrap": True, **style}


def _card(body: list[dict[str, Any]], link: str | None) -> dict[str, Any]:
    content: dict[str, Any] = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": "1.4", "body": body}
    if link:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open dashboard", "url": link}]
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": content}]}


def teams_message(message: Message) -> dict[str, Any]:
    """The Adaptive Card message of ``message``; parts that don't fit in MAX_BYTES are left out, last first."""
    head = [_text(message.title, size="Large", weight="Bolder"), _text(message.summary)]
    if message.facts:
        head.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": escape(label), "value": escape(clip(value, TEXT_CHARS))} for label, value in message.facts
                ],
            }
        )
    parts: list[dict[str, Any]] = []
    for heading, lines in message.sections:
        parts.append(_text(heading, weight="Bolder", spacing="Medium"))
        parts.extend(_text(f"{line}") for line in lines)
    if message.comments:
        parts.append(_text("Comments", weight="Bolder", spacing="Medium"))
        parts.extend(_text(f"“{comment}”", isSubtle=True) for comment in message.comments)
    tail = [_text(message.context, isSubtle=True, size="Small")] if message.context else []
    while parts and len(json.dumps(_card(head + parts + tail, message.link)).encode()) > MAX_BYTES:
        parts.pop()
    return _card(head + parts + tail, message.link)
