"""Writes of the MRR ledger: marks on write, the incremental update, the rebuild from scratch,
discounts that run out, and exchange rates. docs/revenue.md has the rules."""

from opsroom.revenue.metrics.services.rates import (
    RateRow,
    exchange_rate_record_many,
    revenue_settings_update,
)
from opsroom.revenue.metrics.services.recompute import (
    MOVEMENT_KINDS,
    Kind,
)
from opsroom.revenue.metrics.services.update import (
    LedgerRun,
    ledger_rebuild_request,
    ledger_state_get,
    mrr_dirty_mark,
    mrr_ledger_rebuild,
    mrr_ledger_update,
    subscription_discounts_expire,
)

__all__ = [
    "MOVEMENT_KINDS",
    "Kind",
    "LedgerRun",
    "RateRow",
    "exchange_rate_record_many",
    "ledger_rebuild_request",
    "ledger_state_get",
    "mrr_dirty_mark",
    "mrr_ledger_rebuild",
    "mrr_ledger_update",
    "revenue_settings_update",
    "subscription_discounts_expire",
]
