"""An item's form in the ingest log: what public ingest publishes for each
answer or event (validated, redacted and scored, with its journey and step
keys), and how a worker reads it back. An item that can't be read is
``Poison``: the worker sets it aside with the reason."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collector.ingest.queue import QueueSettings, message_id, subject

VERSION = 1


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(
    kind: str,
    site_id: int,
    pair: tuple[str, str],
    row: dict[str, Any] | None = None,
    trapped_client_id: str | None = None,
) -> bytes:
    """One item as a message: a prepared row (redacted and scored), or a trapped client id."""
    body: dict[str, Any] = {"v": VERSION, "kind": kind, "site": site_id, "journey": pair[0], "step": pair[1]}
    if row is not None:
        body["row"] = row
    else:
        body["trapped"] = trapped_client_id
    return json.dumps(body, default=_default, separators=(",", ":")).encode()


def messages(
    settings: QueueSettings,
    kind: str,
    site_id: int,
    records: Sequence[tuple[tuple[str, str], dict[str, Any]]],
    trapped: Sequence[tuple[tuple[str, str], str]] = (),
) -> list[tuple[str, str, bytes]]:
    """(subject, message id, payload) of each prepared record and each trapped client id."""
    to = subject(settings, kind, site_id)
    found = [
        (to, message_id(kind, site_id, row["client_id"]), encode(kind, site_id, pair, row=_portable(row)))
        for pair, row in records
    ]
    found += [
        (to, message_id(kind, site_id, client_id), encode(kind, site_id, pair, trapped_client_id=client_id))
        for pair, client_id in trapped
    ]
    return found


def _portable(row: dict[str, Any]) -> dict[str, Any]:
    """The row without what the worker knows anyway (the site is in the message)."""
    return {name: value for name, value in row.items() if name != "site_id"}


class Poison(ValueError):
    """A message no worker can ever store; it goes to the dead letters with this reason."""


@dataclass(frozen=True)
class Item:
    kind: str  # "answer" or "event"
    site_id: int
    pair: tuple[str, str]
    row: dict[str, Any] | None
    trapped: str | None

    @property
    def client_id(self) -> str:
        return self.row["client_id"] if self.row is not None else self.trapped


def decode(data: bytes) -> Item:
    """The item of a message; raises Poison if it is not one this version can store."""
    try:
        body = json.loads(data)
        if body.get("v") != VERSION or body.get("kind") not in {"answer", "event"}:
            raise Poison(f"unknown message version or kind: v={body.get('v')!r} kind={body.get('kind')!r}")
        site_id, pair = int(body["site"]), (str(body["journey"]), str(body["step"]))
        row = body.get("row")
        if row is not None:
            row = {**row, "site_id": site_id, "created_at": _utc(row["created_at"])}
            if not row.get("client_id"):
                raise Poison("the row has no client_id")
        elif not body.get("trapped"):
            raise Poison("neither a row nor a trapped client id")
        return Item(body["kind"], site_id, pair, row, body.get("trapped"))
    except Poison:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise Poison(f"undecodable message: {error.__class__.__name__}: {error}") from error


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- Streams --------------------------------------------------------------------------------------
