"""Domain errors: a refusal the caller can act on, with a message that says what is wrong.

Services raise these; one handler turns them into a 4xx (or a 502 for an outside service) for
the API (config/api.py) and for the pages (core.middleware.DomainErrorMiddleware). Anything
else that escapes is a bug and stays a 500, so a programming error never reads as bad input.
"""


class DomainError(Exception):
    """Something the caller asked for that cannot be done, and why."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The request is malformed or names something impossible (400)."""


class Forbidden(DomainError):
    """Not allowed for this caller or this target (403)."""

    status = 403


class NotFound(DomainError):
    """The thing named does not exist, or the caller may not see it (404)."""

    status = 404


class Conflict(DomainError):
    """The current state does not allow it (409)."""

    status = 409


class ServiceFailed(DomainError):
    """An outside service (Stripe, the mail server, a language model) refused or failed (502)."""

    status = 502
