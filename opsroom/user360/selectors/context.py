"""A person's context written out for a ticket opened about them."""

from opsroom.core.money import money_format
from opsroom.people.snapshot import PersonSnapshot
from opsroom.user360.labels import band_label, plan_label, subscription_status_label
from opsroom.user360.selectors.insights import insights_for_person


def ticket_context_text(*, snapshot: PersonSnapshot) -> str:
    """What a new ticket about the person starts with: who they are and where they stand."""
    person = snapshot.person
    billing, health, activity = snapshot.billing, snapshot.health, snapshot.activity
    plan, status = plan_label(billing), subscription_status_label(billing.status)
    mrr = money_format(billing.mrr, billing.currency)
    lines = [
        "",
        "",
        "--- Context from Opsroom (User 360) ---",
        f"User: {person.display_name} <{person.email}> (id {person.external_id})",
        f"Plan: {plan} · {status} · MRR {mrr}"
        + (f" · next charge {billing.next_charge_at:%Y-%m-%d}" if billing.next_charge_at else ""),
        f"Health: {health.score}/100 ({band_label(health.band)})",
        f"Last login: {activity.last_login or 'never'} · "
        f"errors in 7 days: {snapshot.errors.count_7d}",
        f"Tickets: {snapshot.support.open} open of {snapshot.support.total}",
    ]
    lines += [f"Insight: {insight.title}" for insight in insights_for_person(snapshot=snapshot)[:3]]
    return "\n".join(lines)
