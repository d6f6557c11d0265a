"""'Ask about this user': answered by the configured language model from the person's facts
and timeline, citing them; without a model (or when it fails), a search of the same facts,
which says it is one."""

import re
from dataclasses import dataclass, field

from opsroom.core.llm import LlmError, llm_chat, llm_configured
from opsroom.user360.selectors.insights import Insight
from opsroom.user360.selectors.profile import PersonContext
from opsroom.user360.selectors.timeline import TimelineItem

MAX_QUESTION = 500
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


def _subscription_line(context: PersonContext) -> str:
    sub = context.subscription
    parts = [f"Subscription: {sub.plan} ({sub.tier or 'no tier'}), status {sub.status}"]
    parts.append(f"MRR {sub.mrr}")
    if sub.next_charge_at:
        parts.append(f"next charge {sub.next_charge_at:%Y-%m-%d} ({sub.next_charge_amount})")
    if sub.ends_at:
        parts.append(f"ends {sub.ends_at:%Y-%m-%d}")
    if sub.card:
        parts.append(f"card {sub.card}")
    return ", ".join(parts)


def _support_line(context: PersonContext) -> str:
    support = context.support
    parts = [f"Support: {support.open} open of {support.total} tickets"]
    if support.average_resolution_hours is not None:
        parts.append(f"average resolution {support.average_resolution_hours:.1f} hours")
    last = support.last_ticket
    if last is not None:
        parts.append(f"last ticket #{last.pk} '{last.subject}' on {last.created_at:%Y-%m-%d}")
    return "; ".join(parts)


def _profile_lines(context: PersonContext) -> list[str]:
    person = context.person
    age = context.account_age_days
    return [
        f"Name {person.display_name}; email {person.email or 'none'}; "
        f"user id {person.external_id}; status {person.status}; "
        f"VIP {'yes' if person.is_vip else 'no'}; "
        f"acquisition channel {person.acquisition_channel or 'unknown'}",
        f"Signed up {age} days ago" if age is not None else "Signup date unknown",
        _subscription_line(context),
        f"Lifetime value paid: {context.lifetime_value}",
        f"Health score {context.health.score}/100 ({context.health.band_label})",
        *[
            f"Health component {c['label']}: "
            + ("n/a" if c["score"] is None else f"{c['score']}/100")
            + f" ({c['figure']})"
            for c in context.health.components
        ],
        _support_line(context),
        f"Last login {context.last_login or 'never'}; "
        f"last activity {context.last_active or 'never'}",
        f"Errors in the last 7 days: {context.errors_7d}",
        "Usage in the last 30 days (events): "
        + ", ".join(f"{label} {count}" for _event, label, count in context.usage),
        *[
            f"Feature flag {flag.key}: served {flag.served_variant or 'nothing recorded'}; "
            f"current rules would give {flag.simulated_variant or '?'} (simulated)"
            for flag in context.flags
        ],
        *[f"Profile {label}: {', '.join(values)}" for label, values, _many in context.attributes],
        f"Tags: {', '.join(context.tags) or 'none'}",
    ]


def person_facts(
    *, context: PersonContext, insights: list[Insight], timeline: list[TimelineItem]
) -> list[Fact]:
    """The numbered facts an answer may cite: F1.. from the profile, T1.. from the timeline."""
    lines = _profile_lines(context) + [
        f"Insight: {i.title}. {' '.join(i.evidence)} Suggested: {i.action}" for i in insights
    ]
    facts = [Fact(f"F{index}", text) for index, text in enumerate(lines, start=1)]
    for index, item in enumerate(timeline, start=1):
        when = f"{item.at:%Y-%m-%d}" if item.is_day else f"{item.at:%Y-%m-%d %H:%M}"
        extra = " ".join(part for part in (item.detail, *item.lines) if part)
        text = f"{when} [{item.kind}] {item.title}" + (f" ({extra})" if extra else "")
        facts.append(Fact(f"T{index}", text))
    return facts


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
        raise ValueError("Ask a question.")
    if len(question) > MAX_QUESTION:
        raise ValueError(f"A question is at most {MAX_QUESTION} characters.")
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
