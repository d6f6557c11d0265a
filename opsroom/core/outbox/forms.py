from typing import Any

from django import forms

from opsroom.core.models import OutboxEntry
from opsroom.core.outbox.selectors import OutboxFilter


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "any status"), *OutboxEntry.Status.choices]
    )
    kind = forms.ChoiceField(required=False)
    target_type = forms.CharField(required=False, max_length=50, label="Concerns (type)")
    target_id = forms.CharField(required=False, max_length=100, label="Concerns (id)")

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "any kind"), *((k, k) for k in kinds)]  # type: ignore[attr-defined]

    def filters(self) -> OutboxFilter:
        data = self.cleaned_data if self.is_bound else {}
        return OutboxFilter(
            status=data.get("status", ""),
            kind=data.get("kind", ""),
            target_type=data.get("target_type", ""),
            target_id=data.get("target_id", ""),
        )
