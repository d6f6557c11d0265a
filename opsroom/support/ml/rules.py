"""The rule baseline of ticket categories: keywords, no learning.

It is what triage uses while there is too little labelled history to train on (or while no
model beats it), and the yardstick a trained model must beat on held-out tickets before it
is switched on.
"""

import re
from dataclasses import dataclass

# Category -> keywords (matched as whole words or phrases, case-insensitive). Order matters
# only for ties: the earlier category wins.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "account_access": (
        "password", "log in", "login", "log into", "sign in", "signin", "locked out",
        "two-factor", "2fa", "verification code", "reset link", "can't access", "cannot access",
    ),
    "cancellation": (
        "cancel", "cancellation", "unsubscribe from the plan", "close my account",
        "delete my account", "stop my subscription", "end my subscription",
    ),
    "invoice_request": (
        "invoice", "receipt", "vat", "tax id", "billing statement", "proof of payment",
    ),
    "email_preferences": (
        "unsubscribe", "too many emails", "stop emailing", "newsletter", "email preferences",
        "mailing list", "stop sending",
    ),
    "billing": (
        "charge", "charged", "refund", "payment", "billing", "card", "declined", "price",
        "renewal", "renewed", "subscription fee", "billed", "paid",
    ),
    "bug": (
        "error", "bug", "crash", "crashes", "broken", "doesn't work", "does not work",
        "not working", "won't load", "stuck", "blank", "fails", "failed", "spinning",
    ),
    "feature_request": (
        "feature request", "would be great", "would love", "please add", "could you add",
        "suggestion", "wish", "it would be nice",
    ),
    "how_to": (
        "how do i", "how can i", "how to", "where can i", "is there a way", "can i",
        "where do i", "help me",
    ),
}  # fmt: skip
FALLBACK = "other"
# A keyword match says little about how sure the rules are; these fixed figures rank matches.
CONFIDENCE_MATCH = 0.6
CONFIDENCE_FALLBACK = 0.2

_PATTERNS = {
    category: re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE
    )
    for category, words in KEYWORDS.items()
}


@dataclass(frozen=True)
class RuleGuess:
    label: str
    confidence: float
    hits: int


def category_by_rules(text: str) -> RuleGuess:
    """The category whose keywords appear most often in the text, or "other"."""
    best, best_hits = FALLBACK, 0
    for category, pattern in _PATTERNS.items():
        hits = len(pattern.findall(text))
        if hits > best_hits:
            best, best_hits = category, hits
    if not best_hits:
        return RuleGuess(label=FALLBACK, confidence=CONFIDENCE_FALLBACK, hits=0)
    return RuleGuess(label=best, confidence=CONFIDENCE_MATCH, hits=best_hits)
