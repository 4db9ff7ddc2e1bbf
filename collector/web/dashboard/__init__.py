"""The CX dashboard (a package: one module per page area): sign in with an API key, read a journey's curve and comments,
manage journeys, steps and prompts, and see alert rules and their deliveries.

Server-rendered pages; the only script is ``static/dashboard.js`` (the HTML CSP
forbids inline scripts). The session holds the key's id and session generation,
never its secret, and the key is looked up again on every request: revoking or
rotating it, or signing out, increments the generation, which ends every
session of the key, even a cookie saved before.

``session`` signs in and out and guards every request (key, CSRF, scope),
``filters`` reads the query string, ``charts`` lays out the inline chart,
``reading`` serves the journey page and downloads, ``manage`` the journey,
step and prompt forms, ``alerts`` the alerts page.
"""

from collector.web.dashboard import alerts, manage, reading, session  # noqa: F401 - they register the views
from collector.web.dashboard.blueprint import bp

__all__ = ["bp"]
