"""The per-person flag simulator: what a person gets under a flag's current rules and under a
proposed change, before anyone makes it."""

import copy
from dataclasses import dataclass

from opsroom.core.errors import InvalidInput, NotFound
from opsroom.experiments.evaluation import Evaluation, flag_evaluate
from opsroom.experiments.models import FeatureFlag
from opsroom.experiments.rollouts import FlagChange, flag_rules_check
from opsroom.experiments.snapshot import person_flag_attributes
from opsroom.people.models import Person
from opsroom.people.selectors import person_ids_by_external_id


@dataclass(frozen=True)
class Simulation:
    person: Person
    attributes: dict[str, object]
    current: Evaluation
    proposed: Evaluation | None  # None when nothing is proposed

    @property
    def changes(self) -> bool:
        return self.proposed is not None and self.proposed.variant != self.current.variant


def flag_simulate(*, flag: FeatureFlag, user_id: str, change: FlagChange | None) -> Simulation:
    """A person's variant under the flag's rules now, and under a proposed change."""
    found = person_ids_by_external_id(external_ids=[user_id]).get(user_id)
    person = Person.objects.filter(pk=found).first() if found else None
    if person is None:
        raise NotFound(f"No person with the user id {user_id!r}.")
    attributes = person_flag_attributes(person)
    current = flag_evaluate(flag, person_key=person.external_id, attributes=attributes)
    proposed = None
    if change is not None:
        candidate = copy.copy(flag)  # never saved
        if change.is_enabled is not None:
            candidate.is_enabled = change.is_enabled
        if change.rollout_percent is not None:
            if not 0 <= change.rollout_percent <= 100:
                raise InvalidInput("A rollout percentage is between 0 and 100.")
            candidate.rollout_percent = change.rollout_percent
        if change.rules is not None:
            candidate.rules = flag_rules_check(change.rules)
        if change.default_variant is not None:
            candidate.default_variant = change.default_variant
        proposed = flag_evaluate(candidate, person_key=person.external_id, attributes=attributes)
    return Simulation(person=person, attributes=attributes, current=current, proposed=proposed)
