"""People lists: a PeopleQuery (search, quick filter, conditions, order) as a queryset.

Metrics owned by other apps come in as person-id subqueries from their selectors, so each
condition is one indexed subquery and the list stays one SQL statement.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, JSONField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.fields.json import (
    HasKey,
    KeyTransform,
    KeyTransformExact,
    KeyTransformGt,
    KeyTransformGte,
    KeyTransformIContains,
    KeyTransformLt,
    KeyTransformLte,
)
from django.db.models.functions import Lower

from opsroom.analytics.selectors import funnel_step_dropped
from opsroom.core import clock
from opsroom.core.lookups import comparison_lookup
from opsroom.core.money import currency_exponent
from opsroom.people.models import ActivityDaily, Person
from opsroom.people.selectors.search import SearchHit
from opsroom.revenue.churn.selectors import person_ids_at_churn_risk, predictions_exist
from opsroom.revenue.selectors import (
    person_ids_by_mrr,
    person_ids_by_subscription,
    person_ids_churned,
    person_ids_delinquent,
    person_ids_live_subscription,
    person_ids_payment_failed,
)
from opsroom.support.selectors import person_ids_by_ticket_count, person_ids_with_open_tickets
from opsroom.telemetry.selectors import person_ids_by_error_count
from opsroom.user360.filters import Condition, FilterError, PeopleQuery
from opsroom.user360.models import HealthBand, PersonHealth
from opsroom.user360.selectors.search import people_search

# Candidates taken from the search box when conditions narrow them further.
SEARCH_CANDIDATES = 1000
IdsFor = Callable[[str, int], QuerySet[Any, int]]


def _holds(op: str, left: Decimal | int, right: Decimal | int) -> bool:
    return {
        "eq": left == right,
        "gt": left > right,
        "gte": left >= right,
        "lt": left < right,
        "lte": left <= right,
    }[op]


def _count_q(ids_for: IdsFor, op: str, value: int) -> Q:
    """People whose count compares to a value, people without any rows counting as 0."""
    if not _holds(op, 0, value):
        return Q(id__in=ids_for(op, value))
    # The comparison holds for 0: keep everyone except those whose count breaks it.
    if op in ("gt", "gte"):
        return Q()
    inverse = {"lt": ("gte", value), "lte": ("gt", value), "eq": ("gt", 0)}[op]
    return ~Q(id__in=ids_for(*inverse))


def _activity_ids(
    *, names: tuple[str, ...] | None, days: int, distinct_days: bool = False
) -> IdsFor:
    since = clock.now().date() - timedelta(days=days)

    def ids_for(op: str, value: int) -> QuerySet[Any, int]:
        rows = ActivityDaily.objects.filter(day__gte=since)
        if names is not None:
            rows = rows.filter(name__in=names)
        measure = Count("day", distinct=True) if distinct_days else Sum("count")
        return (
            rows.values("person_id")
            .annotate(n=measure)
            .filter(**{f"n__{comparison_lookup(op)}": value})
            .values_list("person_id", flat=True)
        )

    return ids_for


def _date_q(column: str, condition: Condition) -> Q:
    now = clock.now()
    op, value = condition.op, condition.value
    if op == "within_days":
        return Q(**{f"{column}__gte": now - timedelta(days=value)})
    if op == "over_days":
        return Q(**{f"{column}__lt": now - timedelta(days=value)})
    if op == "after":
        return Q(**{f"{column}__date__gt": value})
    if op == "before":
        return Q(**{f"{column}__date__lt": value})
    return Q(**{f"{column}__isnull": True})


def _text_q(column: str, condition: Condition) -> Q:
    lookup = {"eq": "iexact", "contains": "icontains", "startswith": "istartswith"}
    lookup["endswith"] = "iendswith"
    lookup["neq"] = "iexact"
    q = Q(**{f"{column}__{lookup[condition.op]}": condition.value})
    return ~q if condition.op == "neq" else q


def _attribute_q(condition: Condition) -> Q:
    # The key is data, never part of an ORM path: "a__regex" is the attribute named
    # "a__regex", not a regex lookup on "a".
    key = condition.key
    attribute = KeyTransform(key, "attributes")
    op, value = condition.op, condition.value
    has_key = Q(HasKey(F("attributes"), key))
    if op == "exists":
        return has_key
    if op == "not_exists":
        return ~has_key
    if op == "contains":
        return Q(KeyTransformIContains(attribute, value))
    # Compared as JSON, as `attributes__key=value` would be.
    json_value = Value(value, output_field=JSONField())
    exact = Q(KeyTransformExact(attribute, json_value))
    if op == "neq":
        return has_key & ~exact
    if op == "eq":
        return exact
    lookup = {"gt": KeyTransformGt, "gte": KeyTransformGte, "lt": KeyTransformLt}
    lookup["lte"] = KeyTransformLte
    return Q(lookup[op](attribute, json_value))


def _negate_if(condition: Condition, q: Q) -> Q:
    return ~q if condition.op == "neq" else q


def condition_q(condition: Condition, *, login_events: tuple[str, ...]) -> Q:
    """One condition as a filter on Person."""
    field, op, value, days = condition.field, condition.op, condition.value, condition.days or 30
    now = clock.now()
    if field in ("email", "name", "external_id", "acquisition_channel"):
        return _text_q(field, condition)
    if field == "status":
        return _negate_if(condition, Q(status=value))
    if field == "vip":
        return Q(is_vip=value)
    if field == "signed_up":
        return _date_q("signed_up_at", condition)
    if field == "last_seen":
        return _date_q("last_seen_at", condition)
    if field == "tag":
        tagged = Q(id__in=Person.tags.through.objects.filter(tag__name=value).values("person_id"))
        return tagged if op == "has" else ~tagged
    if field == "attribute":
        return _attribute_q(condition)
    if field == "plan":
        return _negate_if(condition, Q(id__in=person_ids_by_subscription(plan_code=value)))
    if field == "subscription_status":
        return _negate_if(condition, Q(id__in=person_ids_by_subscription(status=value)))
    if field == "health_score":
        return Q(**{f"health__score__{comparison_lookup(op)}": value})
    if field == "health_band":
        return _negate_if(condition, Q(health__band=value))
    if field == "mrr":
        currency = settings.OPSROOM_CURRENCY
        minor = int((value * (10 ** currency_exponent(currency))).to_integral_value())
        return _count_q(
            lambda o, v: person_ids_by_mrr(op=o, amount=v, currency=currency), op, minor
        )
    if field == "logins":
        return _count_q(_activity_ids(names=login_events, days=days), op, value)
    if field == "event":
        return _count_q(_activity_ids(names=(condition.key,), days=days), op, value)
    if field == "active_days":
        return _count_q(_activity_ids(names=None, days=days, distinct_days=True), op, value)
    if field == "tickets":
        since = now - timedelta(days=days)
        return _count_q(
            lambda o, v: person_ids_by_ticket_count(op=o, count=v, since=since), op, value
        )
    if field == "open_tickets":
        return _count_q(
            lambda o, v: person_ids_by_ticket_count(op=o, count=v, open_only=True), op, value
        )
    if field == "errors":
        since = now - timedelta(days=days)
        return _count_q(
            lambda o, v: person_ids_by_error_count(op=o, count=v, since=since), op, value
        )
    if field == "churned":
        return Q(id__in=person_ids_churned(since=now - timedelta(days=value)))
    if field == "funnel_dropped":
        dropped = funnel_step_dropped(funnel_id=int(condition.key), step=value)
        if dropped is None:
            raise FilterError(
                f"Funnel {condition.key} does not exist (any more) or has no step {value} "
                "to drop at."
            )
        return Q(id__in=dropped[1])
    raise FilterError(f"The field '{field}' cannot be filtered on.")


def quick_q(quick: str) -> Q:
    """A quick filter as a filter on Person."""
    now = clock.now()
    if quick == "at_risk":
        if predictions_exist():  # the churn prediction, once there is one
            return Q(id__in=person_ids_at_churn_risk())
        # From live subscribers to their health row: fewer rows than the other way round.
        weak = PersonHealth.objects.filter(
            person_id=OuterRef("id"), band__in=[HealthBand.AT_RISK, HealthBand.CRITICAL]
        )
        return Q(id__in=person_ids_live_subscription()) & Q(Exists(weak))
    if quick == "payment_failed":
        return Q(id__in=person_ids_payment_failed(since=now - timedelta(days=30))) | Q(
            id__in=person_ids_delinquent()
        )
    if quick == "open_tickets":
        return Q(id__in=person_ids_with_open_tickets())
    if quick == "churned_30d":
        return Q(id__in=person_ids_churned(since=now - timedelta(days=30)))
    if quick == "vip":
        return Q(is_vip=True)
    if quick == "new":
        return Q(signed_up_at__gte=now - timedelta(days=1))
    if quick == "active":
        return Q(last_seen_at__gte=now - timedelta(days=30))
    if quick == "slipping":
        return Q(
            last_seen_at__gte=now - timedelta(days=60), last_seen_at__lt=now - timedelta(days=30)
        )
    return Q()


_ORDER = {
    "last_seen": (F("last_seen_at").desc(nulls_last=True), "-id"),
    "signed_up": (F("signed_up_at").desc(nulls_last=True), "-id"),
    "health": (F("health__score").asc(nulls_last=True), "id"),
    "name": (Lower("name").asc(), "id"),
}


@dataclass
class PeopleResult:
    people: QuerySet[Person]
    hits: dict[int, SearchHit]  # search matches, when there was search text
    is_ranked: bool  # ordered by search rank (a short list) rather than paged by order


def people_filter(
    *, query: PeopleQuery, login_events: tuple[str, ...] = ("login",)
) -> QuerySet[Person]:
    """Everyone the quick filter and the conditions keep (search text not applied)."""
    people = Person.objects.filter(is_placeholder=False)
    if query.quick:
        people = people.filter(quick_q(query.quick))
    for condition in query.conditions:
        people = people.filter(condition_q(condition, login_events=login_events))
    return people


def people_find(
    *, query: PeopleQuery, login_events: tuple[str, ...] = ("login",), limit: int = 50
) -> PeopleResult:
    """The people a query shows: ranked search matches, or everyone matching, in order."""
    people = people_filter(query=query, login_events=login_events)
    if not query.text:
        return PeopleResult(people=people.order_by(*_ORDER[query.sort]), hits={}, is_ranked=False)
    narrowed = bool(query.quick or query.conditions)
    hits = people_search(query=query.text, limit=SEARCH_CANDIDATES if narrowed else limit)
    by_id = {hit.person_id: hit for hit in hits}
    if narrowed:
        people = people.filter(id__in=list(by_id))
    else:
        people = Person.objects.filter(id__in=list(by_id))
    return PeopleResult(people=people, hits=by_id, is_ranked=True)


def people_ids_matching(
    *, query: PeopleQuery, login_events: tuple[str, ...] = ("login",)
) -> QuerySet[Person, int]:
    """Ids of everyone a query covers (search text included), for counts and bulk actions."""
    people = people_filter(query=query, login_events=login_events)
    if query.text:
        hits = people_search(query=query.text, limit=SEARCH_CANDIDATES)
        people = people.filter(id__in=[hit.person_id for hit in hits])
    return people.order_by("id").values_list("id", flat=True)
