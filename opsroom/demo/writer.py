"""Writes the simulated world through the owning apps' batch services, one day at a time.

The clock is frozen at the end of the day being written, so creation and reception times are
historical. Natural keys in the simulated rows are turned into database ids here.
"""

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction

from opsroom.core.clock import clock_frozen_at
from opsroom.core.services.audit import AuditContext
from opsroom.demo.world import catalog, deliveries, mail, marketing
from opsroom.demo.world.context import World
from opsroom.demo.world.records import Batch, Row
from opsroom.experiments.services import (
    experiment_upsert_many,
    exposure_record_many,
    flag_upsert_many,
)
from opsroom.messaging.services import (
    email_message_upsert_many,
    enrollment_record_many,
    sequence_upsert_many,
    template_upsert_many,
)
from opsroom.people.models import Person
from opsroom.people.services import (
    event_record_many,
    note_create,
    person_tags_add,
    person_upsert_many,
)
from opsroom.revenue.services import (
    SpendRow,
    billing_customer_upsert_many,
    invoice_upsert_many,
    marketing_spend_record_many,
    payment_attempt_upsert_many,
    plan_upsert_many,
    subscription_upsert_many,
)
from opsroom.support.services import ticket_message_upsert_many, ticket_upsert_many
from opsroom.support.services.automations import feature_catalog_load
from opsroom.telemetry.services import (
    ai_usage_record_many,
    api_request_record_many,
    delivery_record_many,
    error_event_record_many,
)


class Writer:
    """Keeps the id maps of one run and counts the rows it wrote, by kind."""

    def __init__(self, *, note_authors: dict[str, Any], horizon: datetime) -> None:
        self.counts: Counter[str] = Counter()
        self.people: dict[str, int] = {}
        self.subscriptions: dict[str, int] = {}
        self.invoices: dict[str, int] = {}
        self.plans: dict[str, int] = {}
        self.flags: dict[str, int] = {}
        self.templates: dict[str, int] = {}
        self.sequences: dict[str, int] = {}
        self._note_authors = note_authors
        self._webhooks = deliveries.Window.before(horizon)
        self._pending = Batch()
        self._pending_at: datetime | None = None

    def static(self, world: World) -> None:
        """Plans, flags, the experiment, email templates and sequences, as of the start."""
        with clock_frozen_at(world.start), transaction.atomic():
            plans = plan_upsert_many(
                rows=[
                    {
                        "provider_price_id": plan.price_id,
                        "code": plan.code,
                        "name": plan.name,
                        "tier": plan.tier,
                        "interval": plan.interval,
                        "amount": plan.amount,
                        "currency": "usd",
                        "trial_days": plan.trial_days,
                        "is_active": plan.is_active,
                    }
                    for plan in catalog.PLANS
                ]
            )
            self.plans = {key: plan.pk for key, plan in plans.by_key.items()}
            flags = flag_upsert_many(rows=catalog.flag_rows())
            self.flags = {key: flag.pk for key, flag in flags.by_key.items()}
            experiment_upsert_many(
                rows=[
                    {
                        "key": catalog.EXPERIMENT_KEY,
                        "name": "Recipe page redesign",
                        "hypothesis": "A sticky 'Add to plan' button on the recipe page makes "
                        "more families add the recipes they look at.",
                        "flag_id": self.flags[catalog.FLAG_RECIPE_UI],
                        "control_variant": "control",
                        "primary_metric": catalog.EXPERIMENT_METRIC,
                        "status": "running",
                        "started_at": world.experiment_from,
                        "created_at": world.experiment_from,
                    }
                ]
            )
            templates = template_upsert_many(rows=mail.template_rows())
            self.templates = {key: t.pk for key, t in templates.by_key.items()}
            sequences = sequence_upsert_many(rows=mail.sequence_rows())
            self.sequences = {key: s.pk for key, s in sequences.by_key.items()}
            feature_catalog_load(rows=list(catalog.FEATURES))
        self.counts.update(
            plans=len(self.plans),
            flags=len(self.flags),
            experiments=1,
            features=len(catalog.FEATURES),
        )

    def flush(self, batch: Batch, at: datetime) -> None:
        """Write one day's people and events now; keep the rest for `flush_pending`.

        People and events take their creation and reception times from the clock, so they are
        written day by day; the other rows carry their own times and are written a week at a
        time, which saves most of the round trips to the database.
        """
        with clock_frozen_at(at):
            self._people(batch)
            for events in _chunks(batch.events):
                self.counts["events"] += event_record_many(events=events).inserted
            # The bulkiest rows go now, in chunks, so a big world's memory stays flat.
            for rows in _chunks(batch.errors):
                resolved = [self._resolve(row, person="person_id") for row in rows]
                self.counts["errors"] += error_event_record_many(rows=resolved)
            self._deliveries(deliveries.sentry_deliveries(batch.errors, self._webhooks, self._id))
            for rows in _chunks(batch.api_requests):
                resolved = [self._resolve(row, person="person_id") for row in rows]
                self.counts["api_requests"] += api_request_record_many(rows=resolved)
            for rows in _chunks(batch.ai_usage):
                resolved = [self._resolve(row, person="person_id") for row in rows]
                self.counts["ai_usage"] += ai_usage_record_many(rows=resolved)
        batch.events, batch.errors, batch.api_requests, batch.ai_usage = [], [], [], []
        self._pending.absorb(batch)
        self._pending_at = at

    def flush_pending(self) -> None:
        """Write the rows kept since the last call, parents before children."""
        batch, at = self._pending, self._pending_at
        self._pending = Batch()
        if at is None:
            return
        with clock_frozen_at(at):
            self._revenue(batch)
            if batch.exposures:
                exposure_record_many(
                    rows=[
                        (self.people[person], self.flags[flag], variant, when)
                        for person, flag, variant, when in batch.exposures
                    ]
                )
                self.counts["exposures"] += len(batch.exposures)
            self._support(batch)
            self._messaging(batch)
            self._tags_and_notes(batch)
            self._deliveries(
                deliveries.stripe_deliveries(batch, self._webhooks, self._id)
                + deliveries.email_deliveries(batch.emails, self._webhooks, self._id)
            )

    def _id(self, external_id: str | None) -> int | None:
        return self.people.get(external_id) if external_id else None

    def _deliveries(self, rows: list[Row]) -> None:
        """Webhook deliveries, as the webhook views record them (demo/world/deliveries.py)."""
        for chunk in _chunks(sorted(rows, key=lambda row: row["received_at"])):
            self.counts["deliveries"] += delivery_record_many(rows=chunk)

    def _resolve(self, row: Row, *, person: str = "") -> Row:
        """A copy of a simulated row with natural keys turned into ids."""
        values = {name: value for name, value in row.items() if not name.startswith("_")}
        if person:
            external_id = row.get("_person") or row.get("_requester")
            values[person] = self.people[external_id] if external_id else None
        if "_plan" in row:
            values["plan_id"] = self.plans[row["_plan"]]
        if "_subscription" in row:
            values["subscription_id"] = self.subscriptions[row["_subscription"]]
        if "_invoice" in row:
            values["invoice_id"] = self.invoices[row["_invoice"]]
        if "_template" in row:
            values["template_id"] = self.templates[row["_template"]]
        if "_sequence" in row:
            key = row["_sequence"]
            values["sequence_id"] = self.sequences[key] if key else None
        return values

    def marketing_spend(self, world: World) -> None:
        """Each month's spend per paid channel and campaign, and the blog's (at the horizon)."""
        rows = [
            SpendRow(channel, month, amount, "usd", campaign=campaign)
            for channel, month, amount, campaign in marketing.spend_rows(world)
        ]
        with clock_frozen_at(world.horizon), transaction.atomic():
            created, _ = marketing_spend_record_many(rows=rows)
        self.counts["marketing_spend"] += created

    def _people(self, batch: Batch) -> None:
        if not batch.people:
            return
        result = person_upsert_many(rows=list(batch.people.values()))
        for key, person in result.by_key.items():
            self.people[key] = person.pk
        self.counts["people"] += len(result.created)

    def _revenue(self, batch: Batch) -> None:
        if batch.customers:
            rows = [self._resolve(row, person="person_id") for row in batch.customers.values()]
            self.counts["billing_customers"] += len(billing_customer_upsert_many(rows=rows).created)
        for rows in _rounds(batch.subscriptions, "provider_subscription_id"):
            result = subscription_upsert_many(
                rows=[self._resolve(row, person="person_id") for row in rows]
            )
            for key, subscription in result.by_key.items():
                self.subscriptions[key] = subscription.pk
            self.counts["subscriptions"] += len(result.created)
            self.counts["subscription_writes"] += len(rows)
        if batch.invoices:
            rows = [self._resolve(row, person="person_id") for row in batch.invoices.values()]
            invoices = invoice_upsert_many(rows=rows)
            for key, invoice in invoices.by_key.items():
                self.invoices[key] = invoice.pk
            self.counts["invoices"] += len(invoices.created)
        for rows in _rounds(batch.attempts, "provider_attempt_id"):
            resolved = [self._resolve(row, person="person_id") for row in rows]
            self.counts["payment_attempts"] += len(
                payment_attempt_upsert_many(rows=resolved).created
            )

    def _support(self, batch: Batch) -> None:
        if not batch.tickets:
            return
        rows = [self._resolve(row, person="requester_id") for row in batch.tickets]
        result = ticket_upsert_many(rows=rows)
        self.counts["tickets"] += len(result.created)
        ticket_ids = {key: ticket.pk for key, ticket in result.by_key.items()}
        messages = []
        for row in batch.ticket_messages:
            values = self._resolve(row)
            values["ticket_id"] = ticket_ids[row["_ticket"]]
            messages.append(values)
        if messages:
            self.counts["ticket_messages"] += len(ticket_message_upsert_many(rows=messages).created)

    def _messaging(self, batch: Batch) -> None:
        if batch.emails:
            rows = [self._resolve(row, person="person_id") for row in batch.emails]
            self.counts["emails"] += len(email_message_upsert_many(rows=rows).created)
        if batch.enrollments:
            rows = [self._resolve(row, person="person_id") for row in batch.enrollments]
            self.counts["enrollments"] += len(enrollment_record_many(rows=rows))

    def _tags_and_notes(self, batch: Batch) -> None:
        by_tag: dict[str, list[Person]] = defaultdict(list)
        for external_id, tag in batch.tags:
            # The tag service needs only the person's id; no row is read or written here.
            by_tag[tag].append(Person(pk=self.people[external_id]))
        for tag, people in by_tag.items():
            person_tags_add(people=people, tag_names=[tag])
            self.counts["tags"] += len(people)
        for external_id, role, body, at in batch.notes:
            author = self._note_authors.get(role)
            if author is None:
                continue
            audit = AuditContext(actor=author, label=author.get_username())
            person = Person.objects.get(pk=self.people[external_id])
            with clock_frozen_at(at):
                note_create(person=person, body=body, audit=audit)
            self.counts["notes"] += 1


def _rounds(rows: list[Row], key: str) -> list[list[Row]]:
    """Split rows so no round holds two states of one record; rounds keep each record's order."""
    by_key: dict[str, list[Row]] = {}
    for row in rows:
        by_key.setdefault(row[key], []).append(row)
    depth = max((len(states) for states in by_key.values()), default=0)
    return [[states[i] for states in by_key.values() if len(states) > i] for i in range(depth)]


def _chunks(items: list[Any], size: int = 5000) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
