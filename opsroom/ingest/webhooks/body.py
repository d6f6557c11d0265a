"""A webhook's raw body, read at most once and never past its endpoint's limit.

Nothing is parsed before the signature over these bytes holds. A body larger than the limit
is refused from its Content-Length alone, before any of it is read, so a large anonymous body
costs a worker almost nothing.
"""

from io import BytesIO

from django.http import HttpRequest


class BodyTooLarge(Exception):
    """The body is larger than the endpoint accepts."""

    def __init__(self, size: int | None, limit: int) -> None:
        shown = f"{size:,} bytes" if size is not None else "larger than the limit"
        super().__init__(f"The body is {shown}; this endpoint accepts at most {limit:,} bytes.")


def declared_size(request: HttpRequest) -> int | None:
    """The body size the client declared (None when it declared none or nonsense)."""
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return size if size >= 0 else None


def size_check(request: HttpRequest, *, limit: int) -> None:
    """Refuse (BodyTooLarge) from the declared size, before reading anything."""
    size = declared_size(request)
    if size is not None and size > limit:
        raise BodyTooLarge(size, limit)


def body_read(request: HttpRequest, *, limit: int) -> bytes:
    """The raw body, up to `limit` bytes (BodyTooLarge past it).

    The bytes are kept on the request, so a library that reads `request.body` or
    `request.POST` afterwards (anymail) sees them without Django's global upload limit,
    which stays small for every other page.
    """
    size_check(request, limit=limit)
    if hasattr(request, "_body"):
        data = request.body
    else:
        data = request.read(limit + 1)
        request._body = data
        request._stream = BytesIO(data)
    if len(data) > limit:
        raise BodyTooLarge(None, limit)
    return data
