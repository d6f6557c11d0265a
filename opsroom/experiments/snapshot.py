"""The flags part of the person snapshot (opsroom.people.snapshot)."""

from datetime import datetime

from opsroom.core.errors import InvalidInput
from opsroom.experiments.evaluation import flag_evaluate
from opsroom.experiments.selectors import exposures_for_person, flag_list
from opsroom.people.models import Person
from opsroom.people.snapshot import FLAGS, FlagFacts, ServedVariant


def person_flag_attributes(person: Person) -> dict[str, object]:
    """What flag rules may target: the person's attributes and their identity fields."""
    return {
        **person.attributes,
        "external_id": person.external_id,
        "email": person.email,
        "is_vip": person.is_vip,
        "status": person.status,
        "acquisition_channel": person.acquisition_channel,
    }


@FLAGS.provide
def flag_facts(person: Person, now: datetime) -> tuple[FlagFacts, ...]:
    """Each flag: the variants actually served to the person, and what the rules give now."""
    served: dict[int, list[ServedVariant]] = {}
    for exposure in exposures_for_person(person_id=person.pk):
        served.setdefault(exposure.flag_id, []).append(
            ServedVariant(exposure.variant, exposure.first_exposed_at, exposure.last_exposed_at)
        )
    attributes = person_flag_attributes(person)
    facts = []
    for flag in flag_list():
        try:
            evaluation = flag_evaluate(flag, person_key=person.external_id, attributes=attributes)
            variant, reason = evaluation.variant, evaluation.reason
        except InvalidInput as exc:
            variant, reason = "", f"cannot simulate: {exc.message}"
        experiment = getattr(flag, "experiment", None)
        facts.append(
            FlagFacts(
                key=flag.key,
                name=flag.name or flag.key,
                experiment=experiment.name if experiment is not None else "",
                served=tuple(
                    sorted(served.get(flag.pk, []), key=lambda s: s.last_at, reverse=True)
                ),
                simulated_variant=variant,
                simulated_reason=reason,
            )
        )
    facts.sort(key=lambda fact: (not fact.served, fact.key))
    return tuple(facts)
