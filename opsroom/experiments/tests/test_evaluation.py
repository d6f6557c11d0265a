import pytest

from opsroom.core.errors import InvalidInput
from opsroom.experiments.evaluation import bucket, flag_evaluate
from opsroom.experiments.models import FeatureFlag


def _flag(**fields):
    values = {
        "key": "new_recipe_ui",
        "is_enabled": True,
        "rollout_percent": 100,
        "variants": [{"key": "on", "weight": 1}],
        "default_variant": "off",
        "rules": [],
    }
    values.update(fields)
    return FeatureFlag(**values)


def test_buckets_are_stable_and_spread():
    values = [bucket(salt="f", person_key=str(i)) for i in range(4000)]
    assert values[:5] == [bucket(salt="f", person_key=str(i)) for i in range(5)]
    share_under_25 = sum(v < 25 for v in values) / len(values)
    assert 0.22 < share_under_25 < 0.28


def test_a_rule_decides_before_the_rollout():
    flag = _flag(
        rollout_percent=0,
        rules=[{"attribute": "plan", "op": "eq", "value": "premium", "variant": "on"}],
    )
    assert flag_evaluate(flag, person_key="1", attributes={"plan": "premium"}).variant == "on"
    outcome = flag_evaluate(flag, person_key="1", attributes={"plan": "free"})
    assert (outcome.variant, outcome.reason) == ("off", "outside the 0% rollout")


def test_a_disabled_flag_gives_the_default():
    assert (
        flag_evaluate(_flag(is_enabled=False), person_key="1", attributes={}).reason
        == "flag is switched off"
    )


def test_weights_split_an_experiment():
    flag = _flag(variants=[{"key": "control", "weight": 50}, {"key": "test", "weight": 50}])
    served = [flag_evaluate(flag, person_key=str(i), attributes={}).variant for i in range(2000)]
    assert 0.45 < served.count("test") / len(served) < 0.55


def test_an_unknown_operator_is_refused():
    flag = _flag(rules=[{"attribute": "plan", "op": "regex", "value": "x"}])
    with pytest.raises(InvalidInput, match="unknown rule operator"):
        flag_evaluate(flag, person_key="1", attributes={"plan": "x"})
