"""Feature-availability questions: which feature of the host app a ticket asks about, and
whether the person's plan includes it.

A feature is named in a ticket when its name or one of its aliases appears as whole words; a
ticket asks about availability when it uses availability words ("include", "available",
"which plan", "do I get"...). A plan includes a feature when the feature lists its plan code
or its tier, or lists nothing (every plan). Someone with no live subscription is on "free".
"""

import re
from dataclasses import dataclass

from opsroom.people.snapshot import BillingFacts
from opsroom.support.models import FeatureAccess

AVAILABILITY = re.compile(
    r"\b(includ(e|es|ed|ing)|available|availability|come with|comes with|part of|"
    r"access to|have access|which plan|what plan|my plan|on (the|my|our) \w+( plan)?|"
    r"upgrade|do (i|we) get|can (i|we) (get|use|have)|is there|does (it|the \w+) have)\b",
    re.I,
)
FREE = "free"


@dataclass(frozen=True)
class FeatureAnswer:
    feature: FeatureAccess
    included: bool
    plan_label: str  # the person's plan as the reply names it


def _names(feature: FeatureAccess) -> list[str]:
    return [n for n in (feature.name, *feature.aliases) if isinstance(n, str) and n.strip()]


def features_named(*, text: str) -> list[FeatureAccess]:
    """The features a text names (by name or alias, whole words, any case)."""
    found = []
    for feature in FeatureAccess.objects.all():
        for name in _names(feature):
            words = r"\s+".join(re.escape(w) for w in name.split())
            if re.search(rf"(?<![\w-]){words}(?![\w-])", text, re.I):
                found.append(feature)
                break
    return found


def asks_about_availability(*, text: str) -> bool:
    """Whether a text asks if something is available or included."""
    return AVAILABILITY.search(text) is not None


def plan_includes(*, feature: FeatureAccess, billing: BillingFacts) -> bool:
    """Whether the person's current plan includes the feature."""
    if not feature.plans:
        return True
    plans = {str(p).lower() for p in feature.plans}
    if not billing.is_live:
        return FREE in plans
    return billing.plan_code.lower() in plans or (billing.tier or "").lower() in plans


def feature_answer(*, feature: FeatureAccess, billing: BillingFacts) -> FeatureAnswer:
    """The answer for a person: is the feature on their plan."""
    label = (billing.plan_name or billing.plan_code) if billing.is_live else "Free"
    return FeatureAnswer(feature, plan_includes(feature=feature, billing=billing), label or "your")
