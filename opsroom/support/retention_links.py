"""Signed links to accept a retention offer: the customer accepts without signing in."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from opsroom.core.errors import DomainError, InvalidInput

SALT = "opsroom.support.retention_offer"
# The signature's own limit; each offer also has its expiry (RetentionOffer.expires_at).
MAX_AGE_SECONDS = 60 * 24 * 3600


class OfferExpired(DomainError):
    """The offer's link is past its date (410)."""

    status = 410


def retention_offer_link(*, offer_id: int) -> str:
    """The absolute link that accepts an offer."""
    token = signing.TimestampSigner(salt=SALT).sign(str(offer_id))
    return settings.SITE_URL.rstrip("/") + reverse("support:offer", args=[token])


def retention_offer_id(*, token: str) -> int:
    """The offer a link is for; InvalidInput when forged or altered, OfferExpired when old."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token[:200], max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise OfferExpired("This offer has expired.") from exc
    except signing.BadSignature as exc:
        raise InvalidInput("This offer link is not valid.") from exc
    return int(value)
