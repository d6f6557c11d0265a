"""Auto-resolution decisions: which automation a ticket is for, and whether it is eligible.

A ticket is eligible only when every check passes: the automation is not off; the classifier
is sure enough (its calibrated confidence is at or above the threshold chosen on held-back
tickets for 99% precision, so the keyword rules never qualify); the requester is the account
holder (an active person with the email the reply goes to); the ticket asks for nothing else
(no second likely category, one question at most, no "also"); no anger or legal words; not a
VIP unless the automation allows it; and the action can be done here (the host app's webhook
is set up, for the automations that act in the app). A feature-availability question names
exactly one feature of the catalog (selectors/features.py) and is answered from the person's
plan, with no action in the app.

With Stripe configured (STRIPE_API_KEY), a cancellation of a Stripe subscription is done in
Stripe (cancel at the period's end) and an invoice request of a Stripe customer is answered
with their paid invoices' links from Stripe; neither then needs the host app's webhook.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q

from opsroom.core.ml.embeddings import EmbeddingsUnavailable
from opsroom.core.ml.selectors import model_active_load
from opsroom.core.ml.serialization import ArtifactUnreadable
from opsroom.core.outbox.host_webhook import host_webhook_configured
from opsroom.people.snapshot import PersonSnapshot
from opsroom.revenue.selectors import stripe_billing_for_person
from opsroom.revenue.stripe_api import stripe_client
from opsroom.support.ml.features import ticket_text
from opsroom.support.ml.model import TriageClassifier
from opsroom.support.ml.training import MODEL_NAME as TRIAGE_MODEL_NAME
from opsroom.support.models import (
    Automation,
    AutomationRun,
    FeatureAccess,
    RetentionOffer,
    Ticket,
    TicketAnalysis,
)
from opsroom.support.selectors.features import asks_about_availability, features_named

# The category a ticket must have for each automation, and the host-app event it sends.
INTENT_BY_CATEGORY = {
    "account_access": Automation.Intent.PASSWORD_RESET,
    "cancellation": Automation.Intent.CANCELLATION,
    "invoice_request": Automation.Intent.INVOICE,
    "email_preferences": Automation.Intent.EMAIL_PREFERENCES,
}
EVENTS = {
    Automation.Intent.PASSWORD_RESET: "password_reset.requested",
    Automation.Intent.CANCELLATION: "subscription.cancel_requested",
    Automation.Intent.INVOICE: "invoice.resend_requested",
    Automation.Intent.EMAIL_PREFERENCES: "email_preferences.unsubscribe_requested",
    Automation.Intent.FEATURE_AVAILABILITY: "",  # a reply only: nothing to do in the app
}
# The Stripe call each automation makes instead, when Stripe is configured (AutomationRun.action).
STRIPE_ACTIONS = {
    Automation.Intent.CANCELLATION: "stripe.subscription.cancel_at_period_end",
    Automation.Intent.INVOICE: "stripe.invoices.list_paid",
}
# Categories a feature-availability question may be classified as.
FEATURE_CATEGORIES = ("how_to", "billing", "feature_request", "other")
# Account access covers more than resets (2FA, locked accounts): only these words qualify.
_RESET_WORDS = re.compile(r"\b(password|reset|forgot|forgotten)\b", re.I)
HOT_WORDS = (
    "lawyer", "attorney", "legal", "sue", "suing", "court", "chargeback", "fraud", "scam",
    "police", "ombudsman", "gdpr", "furious", "angry", "unacceptable", "ridiculous",
    "disgusting", "worst", "terrible", "outraged", "complaint",
)  # fmt: skip
_ALSO = re.compile(r"\b(also|another question|one more thing|and then|as well as)\b", re.I)
# A second category this likely means the ticket may ask for two things.
SECOND_CATEGORY_MAX = 0.1


@dataclass(frozen=True)
class AutomationDecision:
    intent: str | None  # None: no automation is for this kind of ticket
    mode: str  # the automation's mode ("off" when none)
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # why not, in words
    event: str = ""  # the host-app event, or the Stripe call (via "stripe")
    via: str = ""  # AutomationRun.Via: where the action is done
    # With Stripe: the customer (invoices) or the subscription (cancellation) acted on.
    stripe_customer: str = ""
    stripe_subscription: str = ""

    @property
    def acts(self) -> bool:
        return self.eligible and self.mode == Automation.Mode.AUTOMATIC


def automation_decide(
    *, ticket: Ticket, analysis: TicketAnalysis | None, snapshot: PersonSnapshot
) -> AutomationDecision:
    """Which automation a ticket is for, and whether every eligibility check passes."""
    if analysis is None:
        return AutomationDecision(None, "off", False, ["The ticket has not been analysed."])
    intent = INTENT_BY_CATEGORY.get(analysis.category)
    text = ticket_text(subject=ticket.subject, body=ticket.body)
    if intent == Automation.Intent.PASSWORD_RESET and not _RESET_WORDS.search(text):
        intent = None
    named: list[FeatureAccess] = []
    if (
        intent is None
        and analysis.category in FEATURE_CATEGORIES
        and asks_about_availability(text=text)
    ):
        named = features_named(text=f"{ticket.subject}\n{ticket.body}")
        if named:
            intent = Automation.Intent.FEATURE_AVAILABILITY
    if intent is None:
        return AutomationDecision(None, "off", False, ["No automation handles this request."])
    automation = Automation.objects.filter(intent=intent).first()
    mode = automation.mode if automation is not None else Automation.Mode.OFF
    reasons = []
    if mode == Automation.Mode.OFF:
        reasons.append("This automation is off.")
    if not analysis.category_is_confident:
        reasons.append(
            "The classifier is not sure enough (below the 99%-precision threshold, or no "
            "trained model)."
        )
    person = snapshot.person
    if person.status != "active" or not person.email or person.is_placeholder:
        reasons.append("The requester is not an active account holder with an email address.")
    seconds = [c for c in analysis.alternatives[1:] if c[1] >= SECOND_CATEGORY_MAX]
    # The subject often restates the question: only the body's questions count.
    if seconds or ticket.body.count("?") > 1 or _ALSO.search(text):
        reasons.append("The ticket may ask for something else too.")
    lowered = text.lower()
    hot = [w for w in HOT_WORDS if re.search(rf"\b{w}\b", lowered)]
    if hot:
        reasons.append(f"Anger or legal words: {', '.join(hot)}.")
    if person.is_vip and not (automation and automation.allow_vip):
        reasons.append("The requester is a VIP.")
    if intent == Automation.Intent.CANCELLATION and snapshot.billing.status in ("none", "canceled"):
        reasons.append("There is no subscription to cancel.")
    if len(named) > 1:
        reasons.append(
            f"The ticket names several features ({', '.join(f.name for f in named[:4])})."
        )
    stripe = _stripe_target(intent, person_id=ticket.requester_id)
    if stripe is not None:
        customer, subscription = stripe
        return AutomationDecision(
            intent,
            mode,
            not reasons,
            reasons,
            STRIPE_ACTIONS[intent],
            AutomationRun.Via.STRIPE,
            customer,
            subscription,
        )
    if EVENTS[intent] and not host_webhook_configured():
        reasons.append("Webhooks to your app are not set up (OPSROOM_HOST_WEBHOOK_URL).")
    via = AutomationRun.Via.HOST_APP if EVENTS[intent] else AutomationRun.Via.NONE
    return AutomationDecision(intent, mode, not reasons, reasons, EVENTS[intent], via)


def _stripe_target(intent: str, *, person_id: int) -> tuple[str, str] | None:
    """The Stripe customer and subscription an automation acts on, when it acts in Stripe."""
    if intent not in STRIPE_ACTIONS or stripe_client() is None:
        return None
    ref = stripe_billing_for_person(person_id=person_id)
    if ref is None:
        return None
    if (
        intent == Automation.Intent.CANCELLATION
        and ref.subscription_id
        and ref.subscription_is_live
    ):
        return ref.customer_id, ref.subscription_id
    if intent == Automation.Intent.INVOICE and ref.customer_id:
        return ref.customer_id, ref.subscription_id
    return None


@dataclass(frozen=True)
class ThresholdFigures:
    model_version: int | None  # None: no active model; automations cannot act
    threshold: float | None
    precision: float | None  # on tickets held back from training, at the threshold
    precision_lower: float | None
    coverage: float | None
    rows: int


def automation_threshold_figures() -> ThresholdFigures:
    """The active classifier's automation threshold and its precision and coverage, measured
    on held-back tickets when it was trained."""
    try:
        loaded = model_active_load(name=TRIAGE_MODEL_NAME)
    except (ArtifactUnreadable, EmbeddingsUnavailable):
        loaded = None
    if loaded is None or not isinstance(loaded.model, TriageClassifier):
        return ThresholdFigures(None, None, None, None, None, 0)
    choice = loaded.model.threshold
    if choice is None:
        return ThresholdFigures(loaded.version, None, None, None, None, 0)
    return ThresholdFigures(
        model_version=loaded.version,
        threshold=choice.threshold,
        precision=choice.precision,
        precision_lower=choice.precision_lower,
        coverage=choice.coverage,
        rows=choice.rows,
    )


@dataclass(frozen=True)
class OfferFigures:
    offered: int
    accepted: int  # clicked "keep my subscription", whether or not applying it has finished
    applied: int  # confirmed by Stripe
    acceptance_rate: float | None  # accepted / offered; None before any offer


def retention_offer_figures() -> OfferFigures:
    """How many retention offers were made and how many were accepted (all time)."""
    counts = RetentionOffer.objects.aggregate(
        offered=Count("id"),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        applied=Count("id", filter=Q(status=RetentionOffer.Status.APPLIED)),
    )
    offered = counts["offered"]
    return OfferFigures(
        offered=offered,
        accepted=counts["accepted"],
        applied=counts["applied"],
        acceptance_rate=counts["accepted"] / offered if offered else None,
    )
