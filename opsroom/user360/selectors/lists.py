"""Rows of the people list and the CSV export, and the saved segments a user sees."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from opsroom.core.models import User
from opsroom.core.money import money_format
from opsroom.people.models import Person
from opsroom.revenue.selectors import subscriptions_current_for_people
from opsroom.support.selectors import open_ticket_counts_for_people
from opsroom.user360.filters import PeopleQuery, conditions_parse, people_query_build
from opsroom.user360.models import PersonHealth, Segment

EXPORT_COLUMNS = [
    "external_id",
    "email",
    "name",
    "status",
    "vip",
    "signed_up_at",
    "last_seen_at",
    "plan",
    "subscription_status",
    "mrr",
    "currency",
    "health_score",
    "health_band",
    "open_tickets",
    "tags",
]


@dataclass(frozen=True)
class PersonRow:
    person: Person
    plan: str
    subscription_status: str
    mrr: str
    mrr_minor: int
    currency: str
    health_score: int | None
    health_band: str
    open_tickets: int
    reason: str  # what the search matched ('' without search)


def person_rows(
    *, people: Sequence[Person], reasons: dict[int, str] | None = None
) -> list[PersonRow]:
    """List rows for some people: plan, MRR, health and open tickets in four queries."""
    ids = [person.pk for person in people]
    subscriptions = subscriptions_current_for_people(person_ids=ids)
    health = {
        row.person_id: row
        for row in PersonHealth.objects.filter(person_id__in=ids).only("person_id", "score", "band")
    }
    tickets = open_ticket_counts_for_people(person_ids=ids)
    rows = []
    for person in people:
        subscription = subscriptions.get(person.pk)
        scored = health.get(person.pk)
        rows.append(
            PersonRow(
                person=person,
                plan=(subscription.plan.name if subscription and subscription.plan else "")
                if subscription
                else "",
                subscription_status=subscription.status if subscription else "",
                mrr=money_format(subscription.mrr_amount, subscription.currency)
                if subscription
                else "",
                mrr_minor=subscription.mrr_amount if subscription else 0,
                currency=subscription.currency if subscription else "",
                health_score=scored.score if scored else None,
                health_band=scored.band if scored else "",
                open_tickets=tickets.get(person.pk, 0),
                reason=(reasons or {}).get(person.pk, ""),
            )
        )
    return rows


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def people_export_rows(*, person_ids: Sequence[int], chunk: int = 1000) -> Iterator[list[str]]:
    """CSV rows (header first) for people, read in chunks so large exports stream."""
    yield EXPORT_COLUMNS
    for start in range(0, len(person_ids), chunk):
        people = list(
            Person.objects.filter(id__in=person_ids[start : start + chunk])
            .prefetch_related("tags")
            .order_by("id")
        )
        for row in person_rows(people=people):
            person = row.person
            yield [
                person.external_id,
                person.email,
                person.name,
                person.status,
                "yes" if person.is_vip else "no",
                _iso(person.signed_up_at),
                _iso(person.last_seen_at),
                row.plan,
                row.subscription_status,
                f"{row.mrr_minor / 100:.2f}" if row.currency else "",
                row.currency,
                "" if row.health_score is None else str(row.health_score),
                row.health_band,
                str(row.open_tickets),
                " ".join(sorted(tag.name for tag in person.tags.all())),
            ]


def segments_for_user(*, user: User | None) -> QuerySet[Segment]:
    """Segments a user sees: their own and the shared ones (API keys: the shared ones)."""
    visible = Q(is_shared=True)
    if user is not None:
        visible |= Q(owner=user)
    return Segment.objects.filter(visible).select_related("owner").order_by("name", "id")


def segment_get_for_user(*, segment_id: int, user: User | None) -> Segment | None:
    """A segment by id, if the user may see it."""
    return segments_for_user(user=user).filter(pk=segment_id).first()


def segment_query(segment: Segment) -> PeopleQuery:
    """The people query a segment saved (checked again: fields may have changed since)."""
    return people_query_build(
        text=segment.query,
        quick=segment.quick,
        conditions=conditions_parse(list(segment.conditions)),
        sort=segment.sort,
    )
