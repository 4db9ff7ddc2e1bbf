"""Erasing a visitor: every answer and event carrying their visitor ID, on one site."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import friction, maintenance
from collector.models import Event, Response, Site


def erase_visitor(session: Session, site: Site, visitor_id: str) -> dict[str, int]:
    """Delete the visitor's answers and events; returns how many of each went.

    The rollups of the days they touched are recomputed in the same transaction.
    """
    touched = maintenance.rollup_days(session, site.id, visitor_id)
    sessions = friction.sessions_of_visitor(session, site.id, visitor_id)
    responses = session.execute(
        sa.delete(Response).where(Response.site_id == site.id, Response.visitor_id == visitor_id)
    ).rowcount
    events = session.execute(sa.delete(Event).where(Event.site_id == site.id, Event.visitor_id == visitor_id)).rowcount
    maintenance.rebuild_days(session, touched)
    friction.reconcile(session, site.id, sessions)
    session.commit()
    return {"responses": responses, "events": events}
