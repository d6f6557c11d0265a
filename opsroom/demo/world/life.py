"""One family's life in the simulation: signing up, then day after day until the end."""

import heapq
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsroom.demo.world import (
    billing,
    catalog,
    decisions,
    dunning,
    mail,
    marketing,
    names,
    payments,
)
from opsroom.demo.world.activity import day_activity, session
from opsroom.demo.world.events import emit
from opsroom.demo.world.state import PersonSim
from opsroom.demo.world.traffic import api_call

if TYPE_CHECKING:
    from opsroom.demo.world.context import World

_CHANNELS = ("organic", "paid_search", "paid_social", "referral", "content", "app_store", "partner")
_CHANNEL_EFFECT = {
    "organic": 0.3,
    "paid_search": -0.1,
    "paid_social": -0.45,
    "referral": 0.45,
    "content": 0.1,
    "app_store": 0.0,
    "partner": 0.2,
}
_HOURS = ((18.6, 45), (7.3, 20), (12.4, 12), (21.3, 13), (16.0, 10))  # local hour, share
_TRIAL_AT_SIGNUP = {"paid_search": 0.3, "app_store": 0.3, "partner": 0.35}


def channel_weights(progress: float) -> list[float]:
    """The acquisition mix drifts: social ads and content grow, partners start a third in."""
    partner = 5.0 if progress > 0.25 else 0.0
    return [30 - 5 * progress, 18, 8 + 12 * progress, 12, 6 + 8 * progress, 11, partner]


def person_new(world: "World", index: int, at: datetime) -> PersonSim:
    """A new family with its profile and its latent habits."""
    rng = world.rng
    country = rng.choices(names.COUNTRIES, weights=names.COUNTRY_WEIGHTS)[0]
    first, last = rng.choice(country.first_names), rng.choice(country.last_names)
    progress = (at - world.start) / (world.horizon - world.start)
    channel = rng.choices(_CHANNELS, weights=channel_weights(progress))[0]
    kids = names.kids_for(rng, country)
    primary = rng.choices([h for h, _ in _HOURS], weights=[w for _, w in _HOURS])[0]
    secondary = rng.choice(_HOURS)[0]
    person = PersonSim(
        index=index,
        external_id=world.ids.person(),
        name=f"{first} {last}",
        email=names.email_for(rng, country, first, last, world.used_emails),
        country=country,
        utc_offset=rng.choice(country.utc_offsets),
        platform=rng.choices(("ios", "android", "web"), weights=(45, 35, 20))[0],
        channel=channel,
        kids=kids,
        diet=names.diet_for(rng, kids),
        signup_at=at,
        weekday_slot=rng.randrange(7),
        hours=(primary, primary, secondary),
        base=-1.85 + _CHANNEL_EFFECT[channel] + 0.12 * (len(kids) - 1) + rng.gauss(0, 0.85),
        trend=rng.gauss(-0.07, 0.05),
        app_lag=rng.choice((0, 0, 0, 1, 1, 2)),
        is_vip=rng.random() < (0.1 if channel == "partner" else 0.015),
        is_beta=rng.random() < 0.03,
        marketing_opt_in=rng.random() < 0.72,
        email_bounces=rng.random() < 0.015,
    )
    person.card_risk = rng.choices((0.02, 0.1, 0.3), weights=(70, 24, 6))[0]
    return person


def signup(world: "World", person: PersonSim) -> None:
    """The family signs up: profile, first events, onboarding emails, maybe a trial."""
    rng, at = world.rng, person.signup_at
    attributes: dict[str, Any] = {
        "kids": person.kids,
        "diet": person.diet,
        "country": person.country.code,
        "locale": person.country.locale,
        "platform": person.platform,
        "household_size": len(person.kids) + rng.choice((1, 2, 2, 2)),
        "beta_tester": person.is_beta,
        "marketing_opt_in": person.marketing_opt_in,
    }
    world.batch.person(
        person.external_id,
        email=person.email,
        name=person.name,
        signed_up_at=at,
        acquisition_channel=person.channel,
        is_vip=person.is_vip,
        status="active",
        attributes=attributes,
        touches=marketing.touches_for(world, person),
    )
    emit(world, person, "signed_up", at, {"channel": person.channel, "platform": person.platform})
    when = at
    for number, kid in enumerate(person.kids):
        when += timedelta(seconds=rng.randint(20, 90))
        api_call(world, person, "POST /api/kids", when, object_id=f"kid_{person.index}_{number}",
                 request={"name": kid["name"], "age": kid["age"]})  # fmt: skip
        emit(world, person, "kid_profile_added", when, {"kid_name": kid["name"], "age": kid["age"]})
    if rng.random() < 0.7:
        emit(world, person, "onboarding_completed", when + timedelta(seconds=30), {"steps": 4})
    mail.enroll(world, person, "onboarding", at)
    if person.is_beta:
        world.batch.tags.append((person.external_id, "beta-tester"))
    if person.is_vip:
        world.batch.tags.append((person.external_id, "influencer" if rng.random() < 0.6 else "vip"))
        if rng.random() < 0.35:
            person.schedule(at + timedelta(days=rng.uniform(1, 20)), "comp", None)
    if rng.random() < 0.0025:
        person.schedule(at + timedelta(days=rng.uniform(10, 120)), "ban", "abuse")
    end = session(world, person, when + timedelta(seconds=60), first=True)
    if rng.random() < _TRIAL_AT_SIGNUP.get(person.channel, 0.18):
        billing.trial_start(world, person, end + timedelta(seconds=45))


def day(
    world: "World", person: PersonSim, day_start: datetime, day_end: datetime, *, weekly: bool
) -> None:
    """Everything that happens to one family on one day."""
    agenda = person.agenda
    while agenda and agenda[0][0] < day_end:
        at, _, kind, payload = heapq.heappop(agenda)
        _dispatch(world, person, at, kind, payload)
    if weekly:
        decisions.weekly(world, person, day_start)
        if day_start.day <= 7 and person.marketing_opt_in and person.status == "active":
            headline = catalog_headline(day_start)
            mail.send(world, person, "newsletter_monthly", day_start + timedelta(hours=15),
                      values={"headline": headline})  # fmt: skip
    if person.status == "active" and not person.gone:
        day_activity(world, person, day_start, day_end)


def catalog_headline(at: datetime) -> str:
    return mail.HEADLINES[(at.year * 12 + at.month) % len(mail.HEADLINES)]


def _dispatch(world: "World", person: PersonSim, at: datetime, kind: str, payload: Any) -> None:
    sub = person.sub
    if kind == "period_end":
        billing.period_end(world, person, at, payload)
    elif kind == "retry":
        dunning.retry(world, person, at, payload)
    elif kind == "card_fix":
        dunning.card_fix(world, person, at, payload)
    elif kind == "dunning_end":
        dunning.dunning_end(world, person, at, payload)
    elif kind == "unpaid_end":
        dunning.unpaid_end(world, person, at, payload)
    elif kind == "cancel":
        sub_id, reason, immediate = payload
        if sub is not None and sub.sub_id == sub_id:
            billing.cancel(world, person, at, immediate=immediate, reason=reason)
    elif kind == "trial_will_end":
        if (
            sub is not None
            and sub.sub_id == payload
            and sub.status == "trialing"
            and not sub.cancel_at_period_end
            and sub.trial_end is not None
        ):
            mail.send(world, person, "trial_ending", at, values={
                "plan": sub.plan.name, "trial_end": f"{sub.trial_end:%B %-d}",
            })  # fmt: skip
    elif kind == "sequence_step":
        values = {}
        if sub is not None:
            values = {"plan": sub.plan.name, "amount": payments.money(sub.plan.amount)}
            if sub.invoice is not None:
                values["reason"] = sub.invoice.last_decline.replace("_", " ")
        status = mail.step_due(world, person, payload, at, values)
        if status == "clicked" and payload == "winback":
            person.winback_clicked_at = at
    elif kind == "ticket_effect":
        _ticket_effect(world, person, at, *payload)
    elif kind == "ban":
        _ban(world, person, at, payload)
    elif kind == "comp" and sub is None and person.status == "active":
        billing.complimentary_start(world, person, at)
        note = "Creator partnership: comped Family annual. Ask partnerships before any change."
        world.batch.notes.append((person.external_id, "billing", note, at))


def _ticket_effect(
    world: "World", person: PersonSim, at: datetime, kind: str, payload: Any
) -> None:
    rng, sub = world.rng, person.sub
    if kind == "card_help" and sub is not None and sub.sub_id == payload and rng.random() < 0.5:
        person.schedule(at + timedelta(hours=rng.uniform(0.5, 30)), "card_fix", payload)
    elif kind == "refund_cancel" and sub is not None and sub.sub_id == payload:
        payments.refund(world, person, sub, at)
        billing.cancel(world, person, at, immediate=True, reason="refund after renewal")
    elif kind == "cancel" and sub is not None and sub.sub_id == payload[0]:
        _, reason, mode = payload
        if mode == "saved":
            billing.coupon_apply(sub, catalog.COUPON_SAVE, at)
            billing.sub_write(world, person, sub, at)
        elif mode == "refund":
            payments.refund(world, person, sub, at)
            billing.cancel(world, person, at, immediate=True, reason=reason)
        else:
            billing.cancel(world, person, at, immediate=False, reason=reason)
    elif kind == "unsubscribe":
        person.marketing_opt_in = False
        world.batch.person(person.external_id, attributes={"marketing_opt_in": False})
        mail.finish(world, person, "winback", at, reason="unsubscribed")


def _ban(world: "World", person: PersonSim, at: datetime, reason: str) -> None:
    if person.status != "active":
        return
    if person.sub is not None:
        person.sub.canceled_at = at
        billing.end(world, person, at, reason=reason)
    person.status = "banned"
    world.story.banned += 1
    world.batch.person(person.external_id, status="banned")
    world.batch.tags.append((person.external_id, f"banned-{reason}"))
    for sequence in list(person.enrollments):
        mail.finish(world, person, sequence, at, reason="account banned")
    text = {
        "fraud": "Banned: card reported stolen on renewal. Do not reinstate without an ID check.",
        "abuse": "Banned for spamming shared recipe comments with links. Two warnings ignored.",
    }[reason]
    world.batch.notes.append((person.external_id, "support", text, at))


def finish(world: "World", person: PersonSim) -> None:
    """The simulation ends: record sequences still running."""
    world.batch.enrollments.extend(mail.still_active_rows(person))
