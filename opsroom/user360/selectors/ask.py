"""'Ask about this user': answered by the configured language model from the person's facts
and timeline, citing them; without a model (or when it fails), a search of the same facts,
which says it is one."""

import re
from dataclasses import dataclass, field

from django.template.defaultfilters import pluralize

from opsroom.core.errors import InvalidInput
from opsroom.core.labels import name_label
from opsroom.core.llm import LlmError, llm_chat, llm_configured
from opsroom.core.money import money_format
from opsroom.people.models import Person
from opsroom.people.snapshot import PersonSnapshot
from opsroom.user360.attributes import attribute_lines
from opsroom.user360.labels import band_label, component_label, plan_label
from opsroom.user360.selectors.insights import Insight, insights_for_person
from opsroom.user360.timeline import TimelineItem, timeline_page

MAX_QUESTION = 500
FACTS_TIMELINE_ITEMS = 100
_WORD = re.compile(r"[a-z0-9][a-z0-9_.@-]+")
_CITATION = re.compile(r"\[([FT]\d+)\]")
_STOPWORDS = {
    "the", "and", "for", "are", "was", "were", "has", "have", "had", "did", "does", "this",
    "that", "with", "what", "when", "which", "who", "why", "how", "they", "them", "their",
    "user", "person", "customer", "about", "any", "there", "from", "been", "last", "ever",
    "is", "do", "of", "to", "in", "on", "a", "an", "it", "he", "she", "his", "her", "me",
}  # fmt: skip
# Words that point at a kind of fact even when the fact does not use them.
_TOPICS = {
    "pay": "payment billing subscription charge card invoice mrr",
    "charg": "payment billing charge",
    "bill": "payment billing subscription",
    "card": "payment card",
    "plan": "subscription plan",
    "subscri": "subscription plan mrr",
    "renew": "subscription charge",
    "cancel": "subscription canceled cancellation",
    "churn": "subscription canceled health",
    "error": "error errors bug",
    "bug": "error errors bug",
    "crash": "error errors",
    "broke": "error errors",
    "ticket": "ticket support",
    "support": "ticket support",
    "login": "login logged active",
    "logged": "login logged active",
    "active": "login active activity events",
    "use": "events activity usage",
    "flag": "flag variant experiment",
    "experiment": "flag variant experiment",
    "email": "email",
    "told": "email note ticket",
    "health": "health score",
    "risk": "health insight",
}


@dataclass(frozen=True)
class Fact:
    ref: str
    text: str


@dataclass(frozen=True)
class Answer:
    text: str
    sources: list[Fact]
    used_model: bool
    note: str = ""
    model: str = ""
    terms: list[str] = field(default_factory=list)


def _subscription_line(snapshot: PersonSnapshot) -> str:
    billing = snapshot.billing
    if billing.status == "none":
        parts = ["Subscription: none"]
    else:
        tier = billing.tier or "no tier"
        parts = [f"Subscription: {plan_label(billing)} ({tier}), status {billing.status}"]
    parts.append(f"MRR {money_format(billing.mrr, billing.currency)}")
    if billing.complimentary_until:
        parts.append(f"complimentary until {billing.complimentary_until:%Y-%m-%d}")
        if billing.next_paid_charge_at:
            paid = money_format(billing.next_paid_charge_amount, billing.currency)
            parts.append(f"next paid charge {billing.next_paid_charge_at:%Y-%m-%d} ({paid})")
    if billing.next_charge_at:
        amount = money_format(billing.next_charge_amount, billing.currency)
        parts.append(f"next charge {billing.next_charge_at:%Y-%m-%d} ({amount})")
    if billing.ends_at:
        parts.append(f"ends {billing.ends_at:%Y-%m-%d}")
    if billing.card_last4:
        parts.append(f"card {billing.card_brand.title()} •••• {billing.card_last4}")
    return ", ".join(parts)


def _support_line(snapshot: PersonSnapshot) -> str:
    support = snapshot.support
    parts = [f"Support: {support.open} open of {support.total} tickets"]
    if support.average_resolution_hours is not None:
        parts.append(f"average resolution {support.average_resolution_hours:.1f} hours")
    last = support.last_ticket
    if last is not None:
        parts.append(f"last ticket #{last.id} '{last.subject}' on {last.created_at:%Y-%m-%d}")
    return "; ".join(parts)


def _lifetime_value(snapshot: PersonSnapshot) -> str:
    paid = snapshot.billing.lifetime_value
    return " + ".join(money_format(v, c) for c, v in sorted(paid.items())) or money_format(
        0, snapshot.billing.currency
    )


def _profile_lines(snapshot: PersonSnapshot) -> list[str]:
    person, activity, health = snapshot.person, snapshot.activity, snapshot.health
    age = person.account_age_days
    return [
        f"Name {person.display_name}; email {person.email or 'none'}; "
        f"user id {person.external_id}; status {person.status}; "
        f"VIP {'yes' if person.is_vip else 'no'}; "
        f"acquisition channel {person.acquisition_channel or 'unknown'}",
        f"Signed up {age} day{pluralize(age)} ago" if age is not None else "Signup date unknown",
        _subscription_line(snapshot),
        f"Lifetime value paid: {_lifetime_value(snapshot)}",
        f"Health score {health.score}/100 ({band_label(health.band)})",
        *[
            f"Health component {component_label(c.key)}: "
            + ("n/a" if c.score is None else f"{c.score}/100")
            + f" ({c.figure})"
            for c in health.components
        ],
        _support_line(snapshot),
        f"Last login {activity.last_login or 'never'}; "
        f"last activity {activity.last_active or 'never'}",
        f"Errors in the last 7 days: {snapshot.errors.count_7d}",
        "Usage in the last 30 days (events): "
        + ", ".join(f"{u.label or name_label(u.event)} {u.count_30d}" for u in activity.usage_30d),
        *[
            f"Feature flag {flag.key}: served {flag.served_variant or 'nothing recorded'}; "
            f"current rules would give {flag.simulated_variant or '?'} (simulated)"
            for flag in snapshot.flags
        ],
        *[
            f"Profile {name_label(key)}: {', '.join(attribute_lines(value))}"
            for key, value in sorted(person.attributes.items())
        ],
        f"Tags: {', '.join(person.tags) or 'none'}",
    ]


def person_facts(
    *, snapshot: PersonSnapshot, insights: list[Insight], timeline: list[TimelineItem]
) -> list[Fact]:
    """The numbered facts an answer may cite: F1.. from the profile, T1.. from the timeline."""
    lines = _profile_lines(snapshot) + [
        f"Insight: {i.title}. {' '.join(i.evidence)} Suggested: {i.action}" for i in insights
    ]
    facts = [Fact(f"F{index}", text) for index, text in enumerate(lines, start=1)]
    for index, item in enumerate(timeline, start=1):
        when = f"{item.at:%Y-%m-%d}" if item.is_day else f"{item.at:%Y-%m-%d %H:%M}"
        extra = " ".join(part for part in (item.detail, *item.lines) if part)
        text = f"{when} [{item.kind}] {item.title}" + (f" ({extra})" if extra else "")
        facts.append(Fact(f"T{index}", text))
    return facts


def person_facts_gather(*, person: Person, snapshot: PersonSnapshot) -> list[Fact]:
    """The facts 'ask' answers from: the snapshot, its insights and the latest timeline."""
    items = timeline_page(
        person=person,
        now=snapshot.at,
        page_size=FACTS_TIMELINE_ITEMS,
        login_events=snapshot.activity.login_events,
    ).items
    return person_facts(
        snapshot=snapshot, insights=insights_for_person(snapshot=snapshot), timeline=items
    )


def _terms(question: str) -> list[str]:
    words = [w for w in _WORD.findall(question.lower()) if w not in _STOPWORDS]
    terms = list(dict.fromkeys(words))
    for word in words:
        for stem, related in _TOPICS.items():
            if word.startswith(stem):
                terms.extend(t for t in related.split() if t not in terms)
    return terms


def facts_search(
    *, question: str, facts: list[Fact], limit: int = 8
) -> tuple[list[Fact], list[str]]:
    """Facts sharing the most words (or word stems) with the question."""
    terms = _terms(question)
    scored = []
    for position, fact in enumerate(facts):
        words = set(_WORD.findall(fact.text.lower()))
        score = sum(
            1
            for term in terms
            if any(w.startswith(term[:5]) or term.startswith(w[:5]) for w in words if len(w) >= 3)
        )
        if score:
            scored.append((-score, position, fact))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [fact for _score, _position, fact in scored[:limit]], terms


_SYSTEM = (
    "You help a support operator understand one user of a subscription app. Answer only from "
    "the numbered facts given. Cite every fact you use with its number in square brackets, "
    "like [F3] or [T12]. If the facts do not answer the question, say so plainly. Be brief."
)


def person_ask(*, question: str, facts: list[Fact]) -> Answer:
    """Answer a question about a person from their facts (model) or find the facts (search)."""
    question = question.strip()
    if not question:
        raise InvalidInput("Ask a question.")
    if len(question) > MAX_QUESTION:
        raise InvalidInput(f"A question is at most {MAX_QUESTION} characters.")
    note = ""
    if llm_configured():
        listing = "\n".join(f"[{fact.ref}] {fact.text}" for fact in facts)
        try:
            reply = llm_chat(
                messages=[
                    {"role": "system", "content": _SYSTEM},
                    {"role": "user", "content": f"Facts:\n{listing}\n\nQuestion: {question}"},
                ]
            )
        except LlmError as exc:
            note = (
                f"The language model did not answer ({exc}); "
                "this is a search of their facts instead."
            )
        else:
            by_ref = {fact.ref: fact for fact in facts}
            cited = [
                by_ref[ref] for ref in dict.fromkeys(_CITATION.findall(reply.text)) if ref in by_ref
            ]
            return Answer(
                text=reply.text,
                sources=cited,
                used_model=True,
                note=""
                if cited
                else "The answer cites none of the facts; check it against the page.",
                model=reply.model,
            )
    matches, terms = facts_search(question=question, facts=facts)
    note = note or (
        "No language model is configured (OPSROOM_LLM_BASE_URL), so this is a search of their "
        "facts and timeline, not a generated answer."
    )
    text = (
        f"{len(matches)} fact{'s' if len(matches) != 1 else ''} match"
        f"{'es' if len(matches) == 1 else ''}: {', '.join(terms[:8])}."
        if matches
        else f"Nothing in their facts or timeline matches: {', '.join(terms[:8]) or question}."
    )
    return Answer(text=text, sources=matches, used_model=False, note=note, terms=terms)
