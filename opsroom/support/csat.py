"""Signed rating links: a solved ticket's customer rates it 1-5 without signing in."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from opsroom.core.errors import InvalidInput

SALT = "opsroom.support.csat"
MAX_AGE_SECONDS = 30 * 24 * 3600  # a link works for 30 days


def csat_link(*, ticket_id: int) -> str:
    """The absolute rating link for a ticket."""
    token = signing.TimestampSigner(salt=SALT).sign(str(ticket_id))
    return settings.SITE_URL.rstrip("/") + reverse("support:rate", args=[token])


def csat_ticket_id(*, token: str) -> int:
    """The ticket a rating link is for; InvalidInput when forged, altered or expired."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise InvalidInput("This rating link has expired.") from exc
    except signing.BadSignature as exc:
        raise InvalidInput("This rating link is not valid.") from exc
    return int(value)
