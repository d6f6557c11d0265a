"""The support queue: views with counts, filters, search, and the order agents work in
(priority first, then the SLA target due soonest, read from the due time stored on each
ticket, so views and filters are plain indexed comparisons)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Q,
    QuerySet,
)

from opsroom.core.errors import InvalidInput
from opsroom.core.models import User
from opsroom.revenue.selectors import person_ids_by_subscription, subscriptions_current_for_people
from opsroom.support.models import Ticket
from opsroom.support.sla import CLOSED_RANK, SOON, TARGETS

VIEWS = {
    "unassigned": "Unassigned",
    "mine": "Mine",
    "open": "All open",
    "breaching": "Breaching soon",
    "pending": "Pending",
    "solved": "Solved recently",
    "all": "All tickets",
}
SOLVED_RECENTLY = timedelta(days=7)
SLA_STATES = {
    "breached": "Breached",
    "soon": "Due within an hour",
    "ok": "On time",
    "none": "Off the clock (paused or done)",
}
PAGE_SIZE = 50
_NUMBER = re.compile(r"^#?(\d{1,18})$")


@dataclass(frozen=True)
class QueueFilters:
    view: str = "open"
    status: str = ""
    priority: str = ""
    category: str = ""
    feature: str = ""
    assignee: str = ""  # "", "none" or a staff user id
    channel: str = ""
    sla: str = ""
    target: str = ""  # the SLA target due first: first_reply, next_reply, resolution
    plan: str = ""
    q: str = ""

    def as_params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def _one_of(name: str, value: str, allowed: object) -> str:
    if value and value not in allowed:  # type: ignore[operator]
        choices = ", ".join(sorted(allowed))  # type: ignore[call-overload]
        raise InvalidInput(f"{name} '{value[:40]}' is unknown; one of {choices}.")
    return value


def queue_filters_parse(params: Mapping[str, str]) -> QueueFilters:
    """The queue's filters from query parameters; an unknown value is an InvalidInput."""
    get = {name: str(params.get(name, "") or "").strip() for name in QueueFilters.__annotations__}
    assignee = get["assignee"]
    if assignee and assignee != "none" and not (assignee.isdecimal() and len(assignee) < 19):
        raise InvalidInput(f"assignee '{assignee[:40]}' is not a user id (or 'none').")
    if "\x00" in get["q"] or "\x00" in get["feature"] or "\x00" in get["plan"]:
        raise InvalidInput("The search holds a NUL character.")
    return QueueFilters(
        view=_one_of("view", get["view"], VIEWS) or "open",
        status=_one_of("status", get["status"], Ticket.Status.values),
        priority=_one_of("priority", get["priority"], Ticket.Priority.values),
        category=_one_of("category", get["category"], Ticket.Category.values),
        feature=get["feature"][:200],
        assignee=assignee,
        channel=_one_of("channel", get["channel"], Ticket.Channel.values),
        sla=_one_of("sla", get["sla"], SLA_STATES),
        target=_one_of("target", get["target"], TARGETS),
        plan=get["plan"][:64],
        q=get["q"][:200],
    )


# On the clock: a target (first reply, next reply, resolution) is running; services/sla.py
# stores the one due first on the ticket whenever it changes, null when the clock is paused
# (pending) or stopped (solved, closed).
_ON_CLOCK = Q(sla_due_at__isnull=False)


def _due_by(moment: datetime) -> Q:
    """On the clock and due at or before a moment."""
    return Q(sla_due_at__lte=moment)


def _category_q(category: str) -> Q:
    # The category set on the ticket, or the classifier's when nobody set one.
    return Q(category=category) | Q(category="", analysis__category=category)


def _view_q(view: str, *, user_id: int | None, now: datetime) -> Q:
    open_ = Q(status__in=Ticket.OPEN_STATUSES)
    if view == "unassigned":
        return open_ & Q(assignee__isnull=True)
    if view == "mine":
        return open_ & Q(assignee_id=user_id or 0)
    if view == "breaching":
        return _due_by(now + SOON)
    if view == "pending":
        return Q(status=Ticket.Status.PENDING)
    if view == "solved":
        return Q(status__in=(Ticket.Status.SOLVED, Ticket.Status.CLOSED)) & Q(
            resolved_at__gte=now - SOLVED_RECENTLY
        )
    if view == "all":
        return Q()
    return open_


def queue_view_counts(*, user_id: int | None, now: datetime) -> dict[str, int]:
    """How many tickets each view holds: the open views in one aggregate read from the
    `ticket_queue_counts` index alone, "solved recently" from `ticket_status_resolved`."""
    open_views = ("unassigned", "mine", "open", "breaching", "pending")
    # Counting the (never null) status, not the id: the id is not in that index on PostgreSQL,
    # and Django allows no COUNT(*) with a filter.
    counts = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).aggregate(
        **{v: Count("status", filter=_view_q(v, user_id=user_id, now=now)) for v in open_views}
    )
    counts["solved"] = Ticket.objects.filter(_view_q("solved", user_id=user_id, now=now)).count()
    counts["all"] = Ticket.objects.count()
    return {view: counts[view] or 0 for view in VIEWS}


def _search_q(text: str) -> Q:
    number = _NUMBER.match(text)
    query = (
        Q(subject__icontains=text)
        | Q(requester__email__icontains=text)
        | Q(requester__name__icontains=text)
        | Q(requester__external_id=text)
    )
    if number:
        query |= Q(pk=int(number.group(1)))
    return query


def _queue_view_q(view: str, *, user_id: int | None, now: datetime) -> Q:
    # "All open" (the default) and "Breaching soon" select open tickets by their stored rank
    # (below CLOSED_RANK exactly while open; kept with the status on every write): the same
    # tickets, but a range on the leading column of `ticket_queue_order`, so the planner reads
    # the page off that index in order instead of sorting every open ticket (SQLite keeps no
    # statistics to tell otherwise). The other views keep the status: theirs is a small set
    # found through `ticket_queue_counts` / `ticket_assignee_status`, then sorted.
    if view == "open":
        return Q(queue_rank__lt=CLOSED_RANK)
    if view == "breaching":
        return Q(queue_rank__lt=CLOSED_RANK) & _due_by(now + SOON)
    return _view_q(view, user_id=user_id, now=now)


def queue_tickets(*, filters: QueueFilters, user_id: int | None, now: datetime) -> QuerySet[Ticket]:
    """The tickets of a view under the filters, priority first, then the reply due soonest."""
    tickets = Ticket.objects.filter(_queue_view_q(filters.view, user_id=user_id, now=now))
    exact = {
        "status": filters.status,
        "priority": filters.priority,
        "channel": filters.channel,
    }
    tickets = tickets.filter(**{name: value for name, value in exact.items() if value})
    if filters.category:
        tickets = tickets.filter(_category_q(filters.category))
    if filters.feature:
        tickets = tickets.filter(analysis__feature__icontains=filters.feature)
    if filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    sla = {
        "breached": _due_by(now),
        "soon": _due_by(now + SOON) & ~_due_by(now),
        "ok": _ON_CLOCK & ~_due_by(now + SOON),
        "none": ~_ON_CLOCK,
    }
    if filters.sla:
        tickets = tickets.filter(sla[filters.sla])
    if filters.target:
        tickets = tickets.filter(sla_target=filters.target)
    if filters.plan:
        tickets = tickets.filter(
            requester_id__in=person_ids_by_subscription(plan_code=filters.plan)
        )
    if filters.q:
        tickets = tickets.filter(_search_q(filters.q))
    # Served by the `ticket_queue_order` index: the first page reads its first rows.
    return tickets.order_by("queue_rank", "sla_due_at", "created_at", "id")


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket  # with requester, assignee, analysis
    plan_code: str
    plan_name: str
    subscription_status: str

    @property
    def sla_due_at(self) -> datetime | None:
        """When the SLA target due first is due (None: off the clock)."""
        return self.ticket.sla_due_at

    @property
    def sla_target_label(self) -> str:
        """'First reply', 'Next reply', 'Resolution', or ''."""
        return TARGETS.get(self.ticket.sla_target, "")

    @property
    def category(self) -> str:
        analysis = getattr(self.ticket, "analysis", None)
        return self.ticket.category or (analysis.category if analysis is not None else "")

    @property
    def category_confidence(self) -> float | None:
        """The classifier's confidence when the category shown is its guess (None: set by a
        person or the host app, or not analysed yet)."""
        analysis = getattr(self.ticket, "analysis", None)
        if analysis is None:
            return None
        if self.ticket.category and self.ticket.category != analysis.category:
            return None
        return float(analysis.category_confidence)


def queue_page(*, tickets: QuerySet[Ticket], page: int) -> tuple[Page[Ticket], list[QueueRow]]:
    """One page of the queue, each row with the requester's plan."""
    paginator = Paginator(
        tickets.select_related("requester", "assignee").prefetch_related("analysis"), PAGE_SIZE
    )
    if page < 1 or (paginator.count and page > paginator.num_pages):
        raise InvalidInput(f"page must be between 1 and {max(paginator.num_pages, 1)}.")
    current = paginator.get_page(page)
    listed: list[Ticket] = list(current.object_list)
    subscriptions = subscriptions_current_for_people(person_ids=[t.requester_id for t in listed])
    rows = []
    for ticket in listed:
        subscription = subscriptions.get(ticket.requester_id)
        plan = subscription.plan if subscription is not None else None
        rows.append(
            QueueRow(
                ticket=ticket,
                plan_code=plan.code if plan is not None else "",
                plan_name=plan.name if plan is not None else "",
                subscription_status=subscription.status if subscription is not None else "none",
            )
        )
    return current, rows


def staff_assignable() -> list[User]:
    """Active staff who may take tickets (they hold support.change_ticket), by name."""
    staff = User.objects.filter(is_active=True, is_staff=True).order_by("username")
    return [
        user for user in staff.prefetch_related("groups") if user.has_perm("support.change_ticket")
    ]
