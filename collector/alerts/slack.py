"""Alerts and digests as Slack messages (Block Kit), for Slack incoming webhooks.

``{"text": fallback, "blocks": [header, section (summary), section (fields),
section per part of a digest, section (comments), context, actions (button
to the dashboard)]}``, within Block Kit's limits: header text 150
characters, section text 3000, at most 10 fields of 2000 each, button text
75 and its URL 3000, at most 50 blocks.

Everything that comes from data is escaped for mrkdwn (``&``, ``<``, ``>``),
so a comment can't mention ``<!channel>``, a user or make a link; header and
button text are ``plain_text`` and shown as they are.
"""

from __future__ import annotations

from typing import Any

from collector.alerts.messages import Message, clip

HEADER_CHARS = 150
TEXT_CHARS = 3000
FIELDS = 10
FIELD_CHARS = 2000
BUTTON_CHARS = 75
URL_CHARS = 3000
BLOCKS = 50


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: the three characters it gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _escaped_clip(text: str, limit: int) -> str:
    """Escape, then cut on the unescaped text until the escaped form fits ``limit``."""
    escaped, cut = escape(text), len(text)
    while len(escaped) > limit:
        cut -= max(1, len(escaped) - limit)
        escaped = escape(clip(text, cut))
    return escaped


def _lines_block(heading: str, lines: list[str], prefix: str) -> dict[str, Any]:
    """A section of a bold heading and lines, with as many whole lines as fit."""
    text = f"*{escape(heading)}*"
    for line in lines:
        entry = "\n" + prefix + _escaped_clip(line, TEXT_CHARS - len(prefix) - 1)
        if len(text) + len(entry) > TEXT_CHARS:
            break
        text += entry
    return {"type": "section", "text": _mrkdwn(text)}


def slack_message(message: Message) -> dict[str, Any]:
    """The Block Kit body of ``message``."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(message.title, HEADER_CHARS), "emoji": True}},
        {"type": "section", "text": _mrkdwn(_escaped_clip(message.summary, TEXT_CHARS))},
    ]
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    _mrkdwn(f"*{escape(label)}*\n" + _escaped_clip(value, FIELD_CHARS - len(escape(label)) - 3))
                    for label, value in message.facts[:FIELDS]
                ],
            }
        )
    for heading, lines in message.sections:
        blocks.append(_lines_block(heading, lines, "• "))
    if message.comments:
        blocks.append(_lines_block("Comments", message.comments, "> "))
    blocks = blocks[: BLOCKS - 2]
    if message.context:
        blocks.append({"type": "context", "elements": [_mrkdwn(_escaped_clip(message.context, TEXT_CHARS))]})
    if message.link and len(message.link) <= URL_CHARS:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open dashboard"}, "url": message.link}
                ],
            }
        )
    return {"text": _escaped_clip(f"{message.title}: {message.summary}", TEXT_CHARS), "blocks": blocks}
