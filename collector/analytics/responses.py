"""Reading answers back: filters shared by listings, curves and exports, and cursor pages."""

import base64
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, selectinload

from collector.analytics.core import starts_with, time_window
from collector.common.errors import Invalid
from collector.models import Journey, Response, ResponseTheme, Site, Step


def response_filters(values: dict[str, Any]) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions for the filters a CX user can set on answers."""
    conditions = time_window(Response.created_at, values)
    for name in ("kind", "variant", "device", "locale", "language", "trigger", "visitor_id"):
        if values.get(name) is not None:
            conditions.append(getattr(Response, name) == values[name])
    if values.get("sentiment") is not None:
        conditions.append(Response.sentiment_label == values["sentiment"])
    if values.get("has_comment") is True:
        conditions.append(Response.comment.is_not(None))
    elif values.get("has_comment") is False:
        conditions.append(Response.comment.is_(None))
    if values.get("url_path"):
        conditions.append(starts_with(Response.url_path, values["url_path"]))
    for key, value in values.get("attr") or ():
        conditions.append(Response.attributes[key].as_string() == value)
    return conditions


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"r{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("r"):
            raise ValueError
        last_id = int(text[1:])
        if not 0 <= last_id < 2**63:  # beyond any id; SQLite's driver would overflow
            raise ValueError
        return last_id
    except (ValueError, UnicodeDecodeError):
        raise Invalid(
            "The cursor is not valid.", details={"cursor": ["Use next_cursor from a previous page."]}
        ) from None


def list_responses(session: Session, site: Site, values: dict[str, Any]) -> tuple[Sequence[Response], str | None]:
    """A page of answers, newest first, and the cursor of the next page (None at the end)."""
    limit = values["limit"]
    query = (
        sa.select(Response)
        .join(Response.journey)
        .join(Response.step)
        .options(contains_eager(Response.journey), contains_eager(Response.step), selectinload(Response.theme_rows))
        .where(Response.site_id == site.id, *response_filters(values))
        .order_by(Response.id.desc())
        .limit(limit + 1)
    )
    if values.get("journey"):
        query = query.where(Journey.key == values["journey"])
    if values.get("step"):
        query = query.where(Step.key == values["step"])
    if values.get("theme"):
        query = query.where(
            sa.select(ResponseTheme.response_id)
            .where(ResponseTheme.response_id == Response.id, ResponseTheme.theme_key == values["theme"])
            .exists()
        )
    if values.get("cursor"):
        query = query.where(Response.id < decode_cursor(values["cursor"]))
    rows = session.scalars(query).all()
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
