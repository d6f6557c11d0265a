"""Writes of the support app: tickets and messages (tickets.py), triage (analysis.py),
suggested replies (replies.py)."""

from opsroom.support.services.analysis import analysis_correct, ticket_analyse
from opsroom.support.services.calibration import (
    FieldCalibrationOutcome,
    triage_confidences_calibrate,
)
from opsroom.support.services.replies import (
    reply_suggestion_decide,
    reply_suggestion_draft,
    ticket_reply_send,
)
from opsroom.support.services.tickets import (
    CategoryModelTraining,
    ticket_category_model_train,
    ticket_create,
    ticket_merge,
    ticket_message_upsert_many,
    ticket_rate,
    ticket_reply,
    ticket_update,
    ticket_upsert_many,
    tickets_triage_queue,
)

__all__ = [
    "CategoryModelTraining",
    "FieldCalibrationOutcome",
    "analysis_correct",
    "reply_suggestion_decide",
    "reply_suggestion_draft",
    "ticket_analyse",
    "ticket_category_model_train",
    "ticket_create",
    "ticket_merge",
    "ticket_message_upsert_many",
    "ticket_rate",
    "ticket_reply",
    "ticket_reply_send",
    "ticket_update",
    "ticket_upsert_many",
    "tickets_triage_queue",
    "triage_confidences_calibrate",
]
