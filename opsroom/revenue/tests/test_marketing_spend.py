"""Marketing spend per channel and month: recorded once per month, replaced by a later entry."""

from datetime import date

import pytest

from opsroom.core.errors import InvalidInput
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.selectors import marketing_spend_list
from opsroom.revenue.services import SpendRow, marketing_spend_record_many

pytestmark = pytest.mark.django_db


def test_a_later_entry_for_the_same_month_replaces_it_and_staff_entries_are_audited(
    staff_billing,
):
    assert marketing_spend_record_many(
        rows=[
            SpendRow("google_ads", date(2026, 10, 15), 120000, "USD"),
            SpendRow("google_ads", date(2026, 10, 1), 90000, "usd", campaign="brand"),
        ]
    ) == (2, 0)
    assert marketing_spend_record_many(
        rows=[SpendRow("google_ads", date(2026, 10, 31), 150000, "usd")],
        audit=AuditContext(actor=staff_billing, label="bea"),
    ) == (0, 1)
    spend = {
        (s.channel, s.campaign): s.amount
        for s in marketing_spend_list(start=date(2026, 10, 1), end=date(2026, 10, 31))
    }
    assert spend == {("google_ads", ""): 150000, ("google_ads", "brand"): 90000}
    assert AuditEntry.objects.filter(action="revenue.marketing_spend_set").count() == 1


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (SpendRow(" ", date(2026, 1, 1), 1, "usd"), "needs a channel"),
        (SpendRow("seo", date(2026, 1, 1), -5, "usd"), "cannot be negative"),
        (SpendRow("seo", date(2026, 1, 1), 5, "dollars"), "currency code"),
    ],
    ids=["no-channel", "negative", "bad-currency"],
)
def test_bad_spend_is_refused_and_nothing_is_written(row, message):
    with pytest.raises(InvalidInput, match=message):
        marketing_spend_record_many(rows=[SpendRow("ok", date(2026, 1, 1), 1, "usd"), row])
    assert marketing_spend_list(start=date(2026, 1, 1), end=date(2026, 1, 31)) == []
