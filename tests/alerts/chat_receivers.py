"""Local stand-ins for Slack and Teams incoming webhooks, and a real SMTP server.

Each HTTP receiver checks a request's body the way the service documents it
and answers 400 with the first problem (as Slack answers ``invalid_blocks``),
200 otherwise, keeping every request for the test to read:

* Slack (Block Kit reference, "Blocks" and "Composition objects"): ``text``
  and ``blocks`` only; at most 50 blocks; header ``plain_text`` of at most
  150 characters; section ``text`` at most 3000 characters, or ``fields``, at
  most 10 of at most 2000 each; context at most 10 elements; actions at most
  25 elements, a button's ``plain_text`` at most 75 characters and its URL at
  most 3000; text objects of type ``plain_text`` (``emoji``) or ``mrkdwn``
  (``verbatim``) with non-empty text. On top, mrkdwn from Stepsense holds no
  raw ``<``/``>`` (but the ``> `` quoting a line) and only ``&amp;``/``&lt;``/``&gt;`` entities: everything
  is escaped.
* Teams (Adaptive Cards schema 1.4, Teams' incoming webhook format):
  ``{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "contentUrl"?, "content": card}]}``,
  the card ``type`` AdaptiveCard with ``$schema``, ``version`` and ``body``;
  only the TextBlock, FactSet and Action.OpenUrl properties the schema has,
  with their enumerated values; at most 28 KB in all.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLACK_TEXT_KEYS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}


class Invalid(Exception):
    """A body the service would refuse."""


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise Invalid(problem)


def _slack_text(obj: Any, where: str, limit: int, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> None:
    _check(isinstance(obj, dict) and obj.get("type") in kinds, f"{where}: a text object of type {kinds}")
    _check(set(obj) <= SLACK_TEXT_KEYS[obj["type"]], f"{where}: unknown keys {set(obj) - SLACK_TEXT_KEYS[obj['type']]}")
    text = obj.get("text")
    _check(
        isinstance(text, str) and 0 < len(text) <= limit,
        f"{where}: text of 1-{limit} characters (has {len(text or '')})",
    )
    if obj["type"] == "mrkdwn":
        unquoted = re.sub(r"(?m)^> ", "", text)  # a ">" opening a line is mrkdwn's quote marker
        _check("<" not in unquoted and ">" not in unquoted, f"{where}: unescaped < or > in mrkdwn")
        _check(re.search(r"&(?!amp;|lt;|gt;)", text) is None, f"{where}: unescaped & in mrkdwn")


def validate_slack(body: Any) -> None:
    """Raise Invalid unless ``body`` is a message Slack's incoming webhooks accept (see above)."""
    _check(isinstance(body, dict) and set(body) <= {"text", "blocks"}, "top level: only text and blocks")
    _check(isinstance(body.get("text"), str) and 0 < len(body["text"]) <= 3000, "text: the fallback, 1-3000 characters")
    blocks = body.get("blocks")
    _check(isinstance(blocks, list) and 0 < len(blocks) <= 50, "blocks: 1-50 blocks")
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        kind = block.get("type")
        if kind == "header":
            _check(set(block) <= {"type", "text", "block_id"}, f"{where}: header keys")
            _slack_text(block.get("text"), where, 150, ("plain_text",))
        elif kind == "section":
            _check(set(block) <= {"type", "text", "fields", "block_id", "accessory"}, f"{where}: section keys")
            _check("text" in block or "fields" in block, f"{where}: text or fields")
            if "text" in block:
                _slack_text(block["text"], f"{where}.text", 3000)
            if "fields" in block:
                _check(isinstance(block["fields"], list) and 0 < len(block["fields"]) <= 10, f"{where}: 1-10 fields")
                for number, item in enumerate(block["fields"]):
                    _slack_text(item, f"{where}.fields[{number}]", 2000)
        elif kind == "context":
            elements = block.get("elements")
            _check(isinstance(elements, list) and 0 < len(elements) <= 10, f"{where}: 1-10 context elements")
            for number, item in enumerate(elements):
                _slack_text(item, f"{where}.elements[{number}]", 3000)
        elif kind == "actions":
            elements = block.get("elements")
            _check(isinstance(elements, list) and 0 < len(elements) <= 25, f"{where}: 1-25 actions")
            for number, item in enumerate(elements):
                _check(
                    item.get("type") == "button"
                    and set(item) <= {"type", "text", "url", "action_id", "value", "style"},
                    f"{where}.elements[{number}]: a button",
                )
                _slack_text(item.get("text"), f"{where}.elements[{number}].text", 75, ("plain_text",))
                url = item.get("url")
                _check(
                    isinstance(url, str) and 0 < len(url) <= 3000 and re.match(r"^https?://", url) is not None,
                    f"{where}.elements[{number}]: an http(s) url of at most 3000 characters",
                )
        elif kind != "divider":
            raise Invalid(f"{where}: unknown block type {kind!r}")


TEXT_BLOCK = {
    "type",
    "text",
    "wrap",
    "size",
    "weight",
    "isSubtle",
    "spacing",
    "color",
    "separator",
    "maxLines",
    "horizontalAlignment",
    "id",
    "fontType",
    "isVisible",
}
ENUMS = {
    "size": {"Small", "Default", "Medium", "Large", "ExtraLarge"},
    "weight": {"Lighter", "Default", "Bolder"},
    "spacing": {"None", "Small", "Default", "Medium", "Large", "ExtraLarge", "Padding"},
    "color": {"Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"},
}


def _teams_element(element: Any, where: str) -> None:
    _check(isinstance(element, dict), f"{where}: an element")
    kind = element.get("type")
    if kind == "TextBlock":
        _check(set(element) <= TEXT_BLOCK, f"{where}: unknown TextBlock keys {set(element) - TEXT_BLOCK}")
        _check(isinstance(element.get("text"), str) and element["text"] != "", f"{where}: text")
        for name, allowed in ENUMS.items():
            _check(name not in element or element[name] in allowed, f"{where}: {name} must be one of {allowed}")
        for name in ("wrap", "isSubtle", "separator"):
            _check(name not in element or isinstance(element[name], bool), f"{where}: {name} is a boolean")
    elif kind == "FactSet":
        _check(set(element) <= {"type", "facts", "spacing", "separator", "id"}, f"{where}: FactSet keys")
        facts = element.get("facts")
        _check(isinstance(facts, list) and facts, f"{where}: facts")
        for fact in facts:
            _check(
                isinstance(fact, dict)
                and set(fact) == {"title", "value"}
                and all(isinstance(fact[k], str) for k in fact),
                f"{where}: a fact has a title and a value",
            )
    else:
        raise Invalid(f"{where}: element type {kind!r} not used here")


def validate_teams(body: Any) -> None:
    """Raise Invalid unless ``body`` is a message with an Adaptive Card that a Teams webhook accepts."""
    _check(len(json.dumps(body).encode()) <= 28 * 1024, "at most 28 KB")
    _check(isinstance(body, dict) and body.get("type") == "message", "type: message")
    attachments = body.get("attachments")
    _check(isinstance(attachments, list) and len(attachments) >= 1, "attachments: at least one")
    for attachment in attachments:
        _check(set(attachment) <= {"contentType", "contentUrl", "content"}, "attachment keys")
        _check(attachment.get("contentType") == "application/vnd.microsoft.card.adaptive", "contentType: adaptive card")
        card = attachment.get("content")
        _check(isinstance(card, dict) and card.get("type") == "AdaptiveCard", "content: an AdaptiveCard")
        _check(card.get("$schema") == "http://adaptivecards.io/schemas/adaptive-card.json", "$schema")
        _check(card.get("version") == "1.4", "version 1.4")
        _check(set(card) <= {"$schema", "type", "version", "body", "actions", "msteams"}, "card keys")
        _check(isinstance(card.get("body"), list) and card["body"], "body: elements")
        for index, element in enumerate(card["body"]):
            _teams_element(element, f"body[{index}]")
        for index, action in enumerate(card.get("actions", [])):
            _check(
                action.get("type") == "Action.OpenUrl" and set(action) <= {"type", "title", "url", "id"},
                f"actions[{index}]: Action.OpenUrl",
            )
            _check(
                isinstance(action.get("url"), str) and re.match(r"^https?://", action["url"]) is not None,
                f"actions[{index}]: an http(s) url",
            )


class ChatReceiver:
    """An incoming-webhook stand-in on 127.0.0.1 that validates each body with ``validator``."""

    def __init__(self, validator) -> None:
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                problem = None
                try:
                    body = json.loads(raw)
                    validator(body)
                except (ValueError, Invalid) as error:
                    body, problem = None, str(error)
                receiver.requests.append({"headers": dict(self.headers), "json": body, "problem": problem})
                answer = b"ok" if problem is None else problem.encode()
                self.send_response(200 if problem is None else 400)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "message": message_from_bytes(envelope.original_content or envelope.content, policy=policy.default),
            }
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now (aiosmtpd can't take port 0)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
