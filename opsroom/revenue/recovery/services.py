"""Writes of payment recovery: cases from failed payments, Opsroom's retries (through Stripe,
when Opsroom owns them), dunning and card-expiry emails, and the settings."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import DomainError, InvalidInput
from opsroom.core.outbox.services import outbox_enqueue
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.selectors import template_get
from opsroom.messaging.services import email_send, template_render
from opsroom.people.models import Person
from opsroom.revenue.models import (
    BillingCustomer,
    DunningSend,
    Invoice,
    PaymentAttempt,
    PaymentCase,
    RecoverySettings,
    Subscription,
)
from opsroom.revenue.recovery.declines import decline_bucket
from opsroom.revenue.stripe_api import stripe_client

WINDOW = timedelta(days=30)  # a case is judged 30 days after its first failure
LOOKBACK = timedelta(days=75)  # failures read on each refresh
RETRY_KIND = "stripe.invoice_retry"
DEFAULT_RETRY_DAYS = [3, 7, 14]
DEFAULT_DUNNING = [
    {"template": "payment_failed", "day": 0},
    {"template": "update_card_reminder", "day": 3},
    {"template": "final_notice", "day": 10},
]
DEFAULT_EXPIRY_TEMPLATE = "card_expiring"
DEFAULT_EXPIRY_DAYS = [30, 14, 7]


def recovery_settings_get() -> RecoverySettings:
    """The retry schedule and dunning steps (the defaults until someone saves them)."""
    found = RecoverySettings.objects.filter(pk=1).first()
    if found is not None:
        return found
    return RecoverySettings(
        pk=1,
        retry_days=list(DEFAULT_RETRY_DAYS),
        dunning_steps=list(DEFAULT_DUNNING),
        expiry_template=DEFAULT_EXPIRY_TEMPLATE,
        expiry_days=list(DEFAULT_EXPIRY_DAYS),
    )


def _days(values: list[int], name: str, *, most: int) -> list[int]:
    days = sorted(set(values))
    if not days or len(days) > 8 or days[0] < 1 or days[-1] > most:
        raise InvalidInput(f"{name}: give 1 to 8 different days between 1 and {most}.")
    return days


@transaction.atomic
def recovery_settings_update(
    *, retry_days: list[int], expiry_days: list[int], audit: AuditContext
) -> RecoverySettings:
    """Change the retry schedule and the card-expiry notices; audited."""
    retry = _days(retry_days, "Retry days", most=30)
    expiry = _days(expiry_days, "Card-expiry notices", most=90)
    config = recovery_settings_get()
    before = {"retry_days": config.retry_days, "expiry_days": config.expiry_days}
    config.retry_days, config.expiry_days = retry, sorted(expiry, reverse=True)
    config.updated_at = clock.now()
    config.save()
    audit_record(
        audit,
        action="revenue.recovery_settings_update",
        target=config,
        params={"before": before, "retry_days": retry, "expiry_days": config.expiry_days},
    )
    return config


def owns_retries() -> bool:
    """Whether Opsroom retries and sends dunning emails (else the provider does; we observe)."""
    return not settings.OPSROOM_PAYMENT_RETRIES_BY_PROVIDER


@dataclass(frozen=True)
class RecoveryRun:
    cases: int
    opened: int
    recovered: int
    lost: int
    retries_requested: int
    emails_sent: int


def _case_key(invoice_id: int | None, attempt_id: int) -> str:
    return f"invoice:{invoice_id}" if invoice_id else f"charge:{attempt_id}"


def payment_cases_refresh(*, now: datetime | None = None) -> RecoveryRun:
    """Bring the cases up to date from recent payment attempts and invoices; then, when
    Opsroom owns recovery, request due retries and send due emails. Safe to run often."""
    now = now or clock.now()
    counts = _cases_update(now)
    retries = emails = 0
    if owns_retries():
        retries = _retries_request(now)
        emails = _dunning_send(now) + _expiry_notices_send(now)
    return RecoveryRun(retries_requested=retries, emails_sent=emails, **counts)


@transaction.atomic
def _cases_update(now: datetime) -> dict[str, int]:
    attempts = (
        PaymentAttempt.objects.filter(attempted_at__gte=now - LOOKBACK, attempted_at__lte=now)
        .order_by("attempted_at", "id")
        .values(
            "id",
            "person_id",
            "invoice_id",
            "subscription_id",
            "status",
            "amount",
            "currency",
            "decline_code",
            "failure_code",
            "attempted_at",
        )
    )
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for attempt in attempts:
        by_case[_case_key(attempt["invoice_id"], attempt["id"])].append(dict(attempt))
    invoice_ids = {rows[0]["invoice_id"] for rows in by_case.values() if rows[0]["invoice_id"]}
    invoices: dict[int, dict[str, Any]] = {
        row["id"]: dict(row)
        for row in Invoice.objects.filter(id__in=list(invoice_ids)).values(
            "id", "status", "subscription_id", "paid_at"
        )
    }
    held = {case.key: case for case in PaymentCase.objects.filter(key__in=list(by_case))}
    subscriptions: dict[int, tuple[int, str]] = {}
    sub_ids = {a["subscription_id"] for rows in by_case.values() for a in rows}
    sub_ids |= {row["subscription_id"] for row in invoices.values()}
    for pk, mrr, status in Subscription.objects.filter(
        id__in=[s for s in sub_ids if s]
    ).values_list("id", "mrr_amount", "status"):
        subscriptions[pk] = (mrr, status)
    counts = {"cases": 0, "opened": 0, "recovered": 0, "lost": 0}
    for key, rows in by_case.items():
        failed = [row for row in rows if row["status"] == PaymentAttempt.Status.FAILED]
        if not failed:
            continue
        first = failed[0]
        invoice = invoices.get(first["invoice_id"]) if first["invoice_id"] else None
        sub_id: int | None = first["subscription_id"] or (invoice or {}).get("subscription_id")
        paid = [
            r
            for r in rows
            if r["status"] == "succeeded" and r["attempted_at"] > first["attempted_at"]
        ]
        case = held.get(key) or PaymentCase(
            key=key,
            person_id=first["person_id"],
            invoice_id=first["invoice_id"],
            first_failed_at=first["attempted_at"],
            last_failed_at=first["attempted_at"],
            bucket=decline_bucket(first["decline_code"] or first["failure_code"]),
        )
        is_new = case.pk is None
        case.subscription_id = sub_id
        case.amount, case.currency = first["amount"], first["currency"]
        case.mrr = subscriptions.get(sub_id, (0, ""))[0] if sub_id else 0
        case.last_failed_at = failed[-1]["attempted_at"]
        case.decline_code = failed[-1]["decline_code"] or failed[-1]["failure_code"]
        case.bucket = decline_bucket(case.decline_code)
        case.failures = len(failed)
        was = case.status
        if paid or (invoice and invoice["status"] == Invoice.Status.PAID):
            case.status = PaymentCase.Status.RECOVERED
            recovered_at = paid[0]["attempted_at"] if paid else (invoice or {}).get("paid_at")
            case.closed_at = recovered_at or now
            case.recovered_on_retry = (
                len([r for r in rows if r["attempted_at"] <= case.closed_at]) - 1
            )
            case.next_retry_at = None
        elif _is_lost(invoice, subscriptions.get(sub_id, (0, ""))[1] if sub_id else ""):
            case.status = PaymentCase.Status.LOST
            case.closed_at = case.closed_at or now
            case.next_retry_at = None
        else:
            case.status = PaymentCase.Status.OPEN
            case.closed_at = None
            case.next_retry_at = _next_retry(case)
        case.updated_at = now
        case.save()
        counts["cases"] += 1
        counts["opened"] += is_new
        if was != case.status and case.status != PaymentCase.Status.OPEN:
            counts[str(case.status)] += 1
    return counts


def _is_lost(invoice: dict[str, Any] | None, subscription_status: str) -> bool:
    """Given up on: the invoice written off or voided, or the subscription ended."""
    if invoice and invoice["status"] in (Invoice.Status.UNCOLLECTIBLE, Invoice.Status.VOID):
        return True
    return subscription_status in ("canceled", "incomplete_expired")


def _next_retry(case: PaymentCase) -> datetime | None:
    """When Opsroom would retry next: only soft declines, on the schedule's next day."""
    if case.bucket != PaymentCase.Bucket.RETRY_LATER:
        return None
    days = recovery_settings_get().retry_days or DEFAULT_RETRY_DAYS
    done = max(case.failures - 1, case.retries_requested)
    if done >= len(days):
        return None
    return case.first_failed_at + timedelta(days=days[done])


def _retries_request(now: datetime) -> int:
    """Ask Stripe to retry each due invoice, once per scheduled retry (outbox, idempotent)."""
    if stripe_client() is None:
        return 0
    requested = 0
    due = PaymentCase.objects.filter(
        status=PaymentCase.Status.OPEN,
        bucket=PaymentCase.Bucket.RETRY_LATER,
        next_retry_at__lte=now,
        invoice__isnull=False,
    ).select_related("invoice", "person")
    for case in due:
        with transaction.atomic():
            number = case.retries_requested + 1
            outbox_enqueue(
                kind=RETRY_KIND,
                payload={
                    "case_id": case.pk,
                    "invoice": case.invoice.provider_invoice_id if case.invoice else "",
                    "retry": number,
                },
                idempotency_key=f"{RETRY_KIND}:{case.key}:{number}",
                audit=AuditContext.system("payment recovery"),
                target=case.person,
            )
            case.retries_requested = number
            case.next_retry_at = _next_retry(case)
            case.save(update_fields=["retries_requested", "next_retry_at"])
        requested += 1
    return requested


def _send(person: Person, template_key: str, key: str, extra: dict[str, Any]) -> bool:
    """Send one templated email once (by key); False when it cannot go (no template...)."""
    if DunningSend.objects.filter(key=key).exists():
        return False
    template = template_get(key=template_key)
    if template is None:
        return False
    audit = AuditContext.system("payment recovery")
    try:
        with transaction.atomic():
            message = email_send(
                person=person,
                subject=template_render(template.subject, person=person, extra=extra),
                body_text=template_render(template.body_text, person=person, extra=extra),
                audit=audit,
                template=template,
            )
            DunningSend.objects.create(
                person=person, key=key, template=template_key, email_id=message.pk
            )
    except DomainError:
        return False  # no address, or an account that gets no email
    return True


def _dunning_send(now: datetime) -> int:
    steps = recovery_settings_get().dunning_steps or DEFAULT_DUNNING
    sent = 0
    for case in PaymentCase.objects.filter(status=PaymentCase.Status.OPEN).select_related("person"):
        for step in steps:
            if case.first_failed_at + timedelta(days=int(str(step["day"]))) > now:
                continue
            extra = {"amount": case.amount, "currency": case.currency.upper()}
            key = f"case:{case.pk}:{step['template']}"
            sent += _send(case.person, str(step["template"]), key, extra)
    return sent


def _expiry_notices_send(now: datetime) -> int:
    config = recovery_settings_get()
    template = config.expiry_template or DEFAULT_EXPIRY_TEMPLATE
    days = sorted(config.expiry_days or DEFAULT_EXPIRY_DAYS, reverse=True)
    sent = 0
    today = now.date()
    paying = Subscription.objects.filter(status__in=("active", "past_due", "trialing")).values(
        "person_id"
    )
    for customer in BillingCustomer.objects.filter(
        person_id__in=paying, card_exp_year__isnull=False, card_exp_month__isnull=False
    ).select_related("person"):
        year, month = customer.card_exp_year or 0, customer.card_exp_month or 0
        if not 1 <= month <= 12 or not 2000 <= year <= 9999:
            continue
        expires = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        left = (expires - today).days
        due = [d for d in days if 0 <= left <= d]
        if not due:
            continue
        notice = min(due)  # the nearest notice due; earlier ones missed are not sent late
        key = f"card:{customer.pk}:{customer.card_last4}:{year}-{month:02d}:{notice}"
        extra = {"card_last4": customer.card_last4, "days_left": left}
        sent += _send(customer.person, template, key, extra)
    return sent
