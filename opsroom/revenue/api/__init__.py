"""The revenue API: MRR and its movements, the overview cards, segments, marketing spend and
exchange rates, churn predictions, cohorts, the forecast, campaigns, payment recovery and the
Stripe drift check. Reads accept an API key with the read scope; writes need a staff permission
or an admin key."""

from ninja import Router

from opsroom.revenue.api import (
    campaigns,
    churn,
    cohorts,
    forecast,
    metrics,
    recovery,
    stripe_drift,
)

router = Router(tags=["revenue"])
router.add_router("/", metrics.router)
router.add_router("/", cohorts.router)
router.add_router("/", forecast.router)
router.add_router("/", recovery.router)
router.add_router("/", churn.router)
router.add_router("/", campaigns.router)
router.add_router("/", stripe_drift.router)
