"""The suggested reply: built from the best resolved answers of similar tickets and the
response template of the ticket's category, filled with this customer's facts, citing both.

Without a language model this retrieval-built draft is the answer; with one configured
(OPSROOM_LLM_*), the draft may be rewritten by it, grounded only in those sources.
"""

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from opsroom.core.llm import LlmError, llm_chat, llm_configured
from opsroom.core.money import money_format
from opsroom.people.snapshot import PersonSnapshot
from opsroom.support.models import ResponseTemplate, Ticket, TicketAnalysis
from opsroom.support.selectors.similar import SimilarTicket

logger = logging.getLogger(__name__)

# A past answer is reused from this similarity; below it the template alone answers.
ANSWER_MIN = 0.3
_GREETING = re.compile(r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^\n]*\n+", re.I)
_SIGN_OFF = re.compile(
    r"\n\s*(thanks|thank you|best|cheers|regards|kind regards|all the best)\b[^\n]*(\n.*)?\Z",
    re.I | re.S,
)
_VARIABLE = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class ReplyDraft:
    body: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    method: str = "retrieval"


def customer_variables(
    *, snapshot: PersonSnapshot, ticket: Ticket, agent_name: str
) -> dict[str, str]:
    """The facts a reply may name: {first_name}, {plan}, {card}, {error}, {next_charge}..."""
    person, billing = snapshot.person, snapshot.billing
    first_name = (person.name or "").split(" ")[0] or "there"
    card = (
        f"{billing.card_brand.title()} ending {billing.card_last4}"
        if billing.card_last4
        else "your card on file"
    )
    error = snapshot.errors.groups_7d[0] if snapshot.errors.groups_7d else None
    next_charge = ""
    if billing.next_charge_at is not None and billing.next_charge_amount is not None:
        next_charge = (
            f"{money_format(billing.next_charge_amount, billing.currency)} on "
            f"{billing.next_charge_at:%B %-d}"
        )
    return {
        "first_name": first_name,
        "name": person.name or first_name,
        "plan": billing.plan_name or billing.plan_code or "your",
        "card": card,
        "error": error.title if error else "",
        "error_count": str(error.count) if error else "0",
        "next_charge": next_charge or "your next renewal",
        "ticket_number": str(ticket.pk),
        "agent_name": agent_name or "The support team",
    }


def template_fill(body: str, variables: dict[str, str]) -> str:
    """A template with its {variables} replaced; unknown ones are left as written."""
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), body)


def answer_core(answer: str, old_name: str) -> str:
    """A past answer without its greeting and sign-off, the old customer's first name made
    a {first_name} variable."""
    core = _GREETING.sub("", answer.strip(), count=1)
    core = _SIGN_OFF.sub("", core).strip()
    first = (old_name or "").split(" ")[0]
    if first and len(first) > 1:
        core = re.sub(rf"\b{re.escape(first)}\b", "{first_name}", core)
    return core


def _best_answers(similar: list[SimilarTicket]) -> list[SimilarTicket]:
    usable = [s for s in similar if s.resolution and s.similarity >= ANSWER_MIN]

    def merit(s: SimilarTicket) -> float:
        rating = s.satisfaction_rating
        bonus = (
            0.1 if rating is not None and rating >= 4 else (-0.1 if rating and rating <= 2 else 0)
        )
        return s.similarity + bonus

    return sorted(usable, key=merit, reverse=True)


def template_for(*, category: str) -> ResponseTemplate | None:
    """The active response template of a category (or the general one)."""
    templates = ResponseTemplate.objects.filter(is_active=True, category__in=[category, ""])
    return (
        sorted(templates, key=lambda t: (t.category != category, t.key))[0] if templates else None
    )


def reply_draft_build(
    *,
    ticket: Ticket,
    analysis: TicketAnalysis | None,
    snapshot: PersonSnapshot,
    similar: list[SimilarTicket],
    agent_name: str = "",
) -> ReplyDraft:
    """A reply to a ticket from similar resolved answers and the category's template."""
    category = ticket.category or (analysis.category if analysis else "other")
    variables = customer_variables(snapshot=snapshot, ticket=ticket, agent_name=agent_name)
    template = template_for(category=category)
    answers = _best_answers(similar)
    sources: list[dict[str, Any]] = []
    parts = [f"Hi {variables['first_name']},"]
    if answers:
        best = answers[0]
        parts.append(answer_core(best.resolution, best.requester_name))
        agreeing = [a for a in answers if a.category == best.category]
        for answer in agreeing[:3]:
            sources.append(
                {
                    "kind": "ticket",
                    "id": answer.ticket_id,
                    "similarity": answer.similarity,
                    "resolution_hours": answer.resolution_hours,
                    "used": answer is best,
                }
            )
        if len(agreeing) > 1:
            parts.append(
                f"This is what solved the same problem for {len(agreeing)} other customers "
                "recently, so it should work for you too."
            )
    elif template is not None:
        parts.append(template.body.strip())
    if template is not None:
        sources.append(
            {"kind": "template", "id": template.pk, "key": template.key, "used": not answers}
        )
    facts = _fact_line(category=category, variables=variables, analysis=analysis)
    if facts:
        parts.insert(1, facts)
    parts.append("Let me know if anything is still not right.\n\nBest,\n{agent_name}")
    body = template_fill("\n\n".join(p for p in parts if p), variables)
    draft = ReplyDraft(body=body, sources=sources)
    if llm_configured() and sources:
        return _rewritten(draft, ticket=ticket, similar=answers)
    return draft


def _fact_line(*, category: str, variables: dict[str, str], analysis: TicketAnalysis | None) -> str:
    if category in ("billing", "invoice_request", "cancellation"):
        return (
            "I can see your {plan} plan, paid with your {card}; the next charge is {next_charge}."
        )
    if category == "bug" and variables["error"]:
        feature = f" on {analysis.feature}" if analysis is not None and analysis.feature else ""
        return (
            f"I can see the error you ran into{feature} "
            "({error}, {error_count} times this week)."
        )
    return ""


def _rewritten(draft: ReplyDraft, *, ticket: Ticket, similar: list[SimilarTicket]) -> ReplyDraft:
    grounding = "\n\n".join(f"[ticket #{s.ticket_id}] {s.resolution}" for s in similar[:3])
    try:
        reply = llm_chat(
            messages=[
                {
                    "role": "system",
                    "content": "Rewrite the draft support reply so it reads naturally. Use only "
                    "facts from the draft and the past answers; add no promise, price or step "
                    "they do not contain. Keep the greeting and sign-off. "
                    "Reply with the text only.",
                },
                {
                    "role": "user",
                    "content": f"Customer's ticket: {ticket.subject}\n\nDraft:\n{draft.body}\n\n"
                    f"Past answers:\n{grounding}",
                },
            ]
        )
    except LlmError as exc:
        logger.warning("reply rewrite failed, keeping the retrieval draft: %s", exc)
        return draft
    text = reply.text.strip()
    if not text:
        return draft
    return ReplyDraft(body=text, sources=draft.sources, method="llm")
