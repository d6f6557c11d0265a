"""The weekly digest: the chosen staff get it once a week, by Django's email API; choosing
them is permission-checked and audited."""

from datetime import date

import pytest
from django.core import mail

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.digest import revenue_digest_recipients_set, revenue_digest_send
from opsroom.revenue.models import RevenueOverview

pytestmark = pytest.mark.django_db


def test_the_digest_goes_to_the_chosen_staff_once_a_week(staff_admin, staff_billing):
    staff_admin.email, staff_billing.email = "ada@example.com", "bea@example.com"
    staff_admin.save()
    staff_billing.save()
    assert revenue_digest_send(today=date(2026, 6, 3)).skipped == "nobody chosen"
    revenue_digest_recipients_set(user_ids=[staff_billing.pk], audit=AuditContext.system("test"))
    RevenueOverview.objects.create(
        day=date(2026, 6, 2),
        currency="usd",
        figures={"mrr": 1234500, "mrr_change": 4500, "window_days": 30, "arr": 14814000,
                 "growth_percent": 0.4, "growth_target_percent": 10.0, "customers": 321,
                 "new_customers": 12, "churned_customers": 7, "customer_churn_percent": 2.2,
                 "customer_churn_previous_percent": 2.5, "nrr_percent": 101.3,
                 "quick_ratio": 1.8},
    )  # fmt: skip
    run = revenue_digest_send(today=date(2026, 6, 3))  # a Wednesday: the week of June 1
    assert (run.week, run.sent) == (date(2026, 6, 1), 1)
    (message,) = mail.outbox
    assert message.to == ["bea@example.com"]
    assert message.subject == "Revenue digest, week of 2026-06-01"
    assert "MRR: $12,345.00" in message.body
    assert "Paying customers: 321 (12 new, 7 churned)" in message.body
    assert message.alternatives[0][1] == "text/html"
    again = revenue_digest_send(today=date(2026, 6, 7))
    assert (again.sent, again.skipped) == (0, "already sent this week")
    assert revenue_digest_send(today=date(2026, 6, 8)).sent == 1
    assert len(mail.outbox) == 2


def test_choosing_recipients_is_permission_checked_audited_and_validated(
    staff_admin, staff_analyst
):
    staff_admin.email = "ada@example.com"
    staff_admin.save()
    refused = signed_in(staff_analyst).post(
        "/revenue/settings/", {"action": "digest", "recipients": [staff_admin.pk]}
    )
    assert refused.status_code == 403
    client = signed_in(staff_admin)
    assert client.get("/revenue/settings/").status_code == 200
    saved = client.post("/revenue/settings/", {"action": "digest", "recipients": [staff_admin.pk]})
    assert saved.status_code == 302
    assert AuditEntry.objects.filter(action="revenue.digest_recipients_set").count() == 1
    bad = client.post("/revenue/settings/", {"action": "digest", "recipients": [999999]})
    assert bad.status_code == 400
    page = client.get("/revenue/settings/").content.decode()
    assert f'value="{staff_admin.pk}"' in page
    assert "checked" in page
