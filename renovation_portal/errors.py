"""The one domain error type that services raise when they refuse an action.

Web views show ``message`` as a form or page message; the API turns it into the standard JSON error body
with ``code`` and the HTTP status below (400, or 409 for a conflict with newer data).
"""


class DomainError(Exception):
    status = 400

    def __init__(self, message, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class ConflictError(DomainError):
    """Someone else changed the record first; the user must reload and try again."""

    status = 409
