"""Forms of the analytics pages: tuning and snoozing a watched metric."""

from django import forms

from opsroom.analytics.models import MetricWatch
from opsroom.analytics.services.anomalies import MAX_SNOOZE
from opsroom.core.errors import InvalidInput


class MetricTuneForm(forms.Form):
    key = forms.CharField(max_length=300)
    sensitivity = forms.ChoiceField(choices=MetricWatch.Sensitivity.choices)


class MetricSnoozeForm(forms.Form):
    key = forms.CharField(max_length=300)
    hours = forms.IntegerField(
        min_value=0, max_value=int(MAX_SNOOZE.total_seconds() // 3600), label="Snooze for (hours)"
    )


def form_data_or_refuse(form: forms.Form) -> dict[str, object]:
    """The cleaned data, or an InvalidInput naming each wrong field."""
    if form.is_valid():
        return form.cleaned_data
    problems = [
        f"{field}: {' '.join(str(m) for m in messages)}"
        if field != "__all__"
        else " ".join(str(m) for m in messages)
        for field, messages in form.errors.items()
    ]
    raise InvalidInput("; ".join(problems))


class EndpointForm(forms.Form):
    method = forms.CharField(max_length=8)
    route = forms.CharField(max_length=200)


class AiCostLimitForm(forms.Form):
    endpoint = forms.CharField(max_length=200, required=False)
    amount = forms.FloatField(min_value=0.000001, max_value=1e9)
    period = forms.ChoiceField(choices=[("day", "a day"), ("month", "a month")], required=False)


class AiCostLimitRemoveForm(forms.Form):
    endpoint = forms.CharField(max_length=200, required=False)


class FunnelForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    steps = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Event names in order, one a line (2 to 8).",
    )
    window_days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="Window (days)")
    period_days = forms.IntegerField(
        min_value=1, max_value=180, initial=30, label="Entries of the last (days)"
    )

    def clean_steps(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]
