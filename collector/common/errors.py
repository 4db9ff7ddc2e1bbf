"""What a service says went wrong, in words and without HTTP.

Services raise these; the API turns them into its JSON error envelope (with
the status code) and the dashboard into a message on its page, each in one
place. ``details`` maps a field to its messages, as marshmallow does.
"""

from typing import Any


class DomainError(Exception):
    """A request a service cannot carry out, with a message for a person."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Malformed(DomainError):
    """The input cannot even be read (bad encoding, characters no text has)."""


class Invalid(DomainError):
    """The input is readable but breaks a rule (a value out of range, an unknown step)."""


class NotFound(DomainError):
    """The thing named does not exist for this site."""


class Conflict(DomainError):
    """The thing exists already, or is in a state that forbids the change."""


class Forbidden(DomainError):
    """The caller may not do this (an origin the site has not allowed)."""


class TooMany(DomainError):
    """The caller asked too often; it may try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A service this needs is down (the ingest log's broker); nothing was accepted,
    and the caller may try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int = 5, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after
