"""The customer's retention-offer page, reached from the signed link in a cancellation reply."""

from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from opsroom.core import clock
from opsroom.core.errors import NotFound
from opsroom.core.middleware import public
from opsroom.core.services.audit import AuditContext
from opsroom.support.models import RetentionOffer
from opsroom.support.retention_links import OfferExpired, retention_offer_id
from opsroom.support.services.retention import retention_offer_accept, retention_offer_words


@public
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The offer and one button (GET changes nothing: mail scanners open links); POST
    accepts it, once however often it is sent."""
    offer = RetentionOffer.objects.filter(pk=retention_offer_id(token=token)).first()
    if offer is None:
        raise NotFound("This offer no longer exists.")
    if request.method == "POST":
        audit = replace(
            AuditContext.from_request(request),
            label=f"customer {offer.requester.external_id or offer.requester_id} (offer link)"[
                :150
            ],
        )
        offer = retention_offer_accept(offer_id=offer.pk, audit=audit)
    elif offer.status == RetentionOffer.Status.OFFERED and offer.expires_at <= clock.now():
        raise OfferExpired(
            f"This offer expired on {offer.expires_at:%-d %B %Y}. Reply to our email if you "
            "would still like to stay."
        )
    words = retention_offer_words(percent_off=offer.percent_off, months=offer.months)
    return render(
        request,
        "support/offer.html",
        {"offer": offer, "words": words, "accepted": offer.accepted_at is not None},
    )
