"""The demo team's use of the support copilot on the history: each ticket an agent answered
was analysed when it arrived, and the agent, while answering, corrected the analysis where it
was wrong, as agents do (most of the time).

Runs after the world is written, on its own random stream, so the rest of the world is the
same with or without it. The corrections come from the simulation's truth (`TicketTruth`):
the help desk's priority is the true severity, bug and account-access tickets block, and a bug
ticket's feature is the endpoint that failed (other tickets' features are not known to the
simulation, so their feature is never corrected). These are the labels the severity, feature
and blocking confidences are calibrated on (`support_triage_train`).
"""

import random
from datetime import timedelta

from opsroom.core.clock import clock_frozen_at
from opsroom.core.services.audit import AuditContext
from opsroom.demo.world.records import TicketTruth
from opsroom.support.selectors.calibration import tickets_answered_by_external_id
from opsroom.support.services import analysis_correct, ticket_analyse

# An agent notices and corrects a wrong answer this often; the rest stay as the copilot said.
NOTICE = 0.85
# The copilot has been in use for the latest this many answered tickets (analysing one as of its
# arrival takes tens of milliseconds; the largest worlds would take long to review in full).
REVIEW_MAX = 3000
# Triage runs within seconds of a ticket's arrival.
TRIAGE_DELAY = timedelta(seconds=30)


def _corrections(
    *, severity: str, is_blocking: bool, feature: str, truth: TicketTruth
) -> list[tuple[str, str]]:
    wanted = [
        ("severity", severity, truth.severity),
        ("is_blocking", str(is_blocking).lower(), str(truth.is_blocking).lower()),
    ]
    if truth.feature is not None:
        wanted.append(("feature", feature.strip().lower(), truth.feature.lower()))
    return [(field, right) for field, said, right in wanted if said != right]


def triage_history_review(*, truth: dict[str, TicketTruth], seed: int) -> dict[str, int]:
    """Analyse the solved tickets agents answered (the latest REVIEW_MAX) as of their arrival,
    then let the agent correct what was wrong when first answering; returns how many of each."""
    rng = random.Random(f"opsroom-demo-triage-review:{seed}")
    answered = tickets_answered_by_external_id(external_ids=truth)
    latest = list(answered.reverse()[:REVIEW_MAX])
    counts = {"analysed": 0, "corrections": 0}
    for ticket in reversed(latest):
        agent, first_reply = ticket.assignee, ticket.first_response_at
        if agent is None or first_reply is None or ticket.external_id is None:
            continue  # the query excludes these; this tells the type checker
        with clock_frozen_at(ticket.created_at + TRIAGE_DELAY):
            analysis = ticket_analyse(ticket=ticket)
        counts["analysed"] += 1
        audit = AuditContext(actor=agent, label=agent.get_username())
        with clock_frozen_at(max(first_reply, ticket.created_at + TRIAGE_DELAY)):
            wrong = _corrections(
                severity=analysis.severity,
                is_blocking=analysis.is_blocking,
                feature=analysis.feature,
                truth=truth[ticket.external_id],
            )
            for field, right in wrong:
                if rng.random() < NOTICE:
                    analysis_correct(ticket=ticket, field=field, value=right, audit=audit)
                    counts["corrections"] += 1
    return counts
