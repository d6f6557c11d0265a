from django import forms


class SampleSizeForm(forms.Form):
    """The sample-size calculator: a conversion rate (in %) or a mean, and the change to detect."""

    metric = forms.ChoiceField(
        choices=[("conversion", "Conversion rate"), ("mean", "Mean per person")],
        initial="conversion",
    )
    baseline = forms.FloatField(
        help_text="Conversion rate now, in % (or the mean now)", initial=20, min_value=0
    )
    std = forms.FloatField(
        required=False, min_value=0, help_text="Standard deviation per person (means only)"
    )
    effect = forms.FloatField(help_text="Relative change to detect, in %", initial=25)
    alpha = forms.FloatField(
        initial=0.05, min_value=0.0001, max_value=0.5, label="Significance (alpha)"
    )
    power = forms.FloatField(initial=0.8, min_value=0.5, max_value=0.9999)
    units_per_day = forms.FloatField(
        required=False, min_value=0, label="People per day (all variants)"
    )
    variants = forms.IntegerField(initial=2, min_value=2, max_value=10)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("metric") == "mean" and not data.get("std"):
            self.add_error("std", "A mean needs its standard deviation per person.")
        if data.get("effect") == 0:
            self.add_error("effect", "The change to detect must not be zero.")
        return data


class FlagSimulateForm(forms.Form):
    """A person, and optionally a change to the flag, to see what they would get."""

    user_id = forms.CharField(max_length=128, label="Person (user id)")
    enabled = forms.ChoiceField(
        required=False,
        choices=[("", "as now"), ("on", "switched on"), ("off", "switched off")],
        label="Proposed switch",
    )
    rollout_percent = forms.IntegerField(
        required=False, min_value=0, max_value=100, label="Proposed rollout %"
    )
    rules = forms.JSONField(
        required=False,
        label="Proposed rules (JSON list)",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='e.g. [{"attribute": "platform", "op": "eq", "value": "ios", "variant": "on"}]',
    )
