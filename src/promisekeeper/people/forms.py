"""Forms for adding people and time off; they only validate input, services do the writing."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from promisekeeper.people.models import WEEKDAY_FIELDS, Role, Team, TimeOff


class DateInput(forms.DateInput):
    input_type = "date"


class TimeOffForm(forms.Form):
    start_date = forms.DateField(widget=DateInput)
    end_date = forms.DateField(widget=DateInput)
    kind = forms.ChoiceField(choices=TimeOff.Kind.choices, initial=TimeOff.Kind.VACATION)
    status = forms.ChoiceField(choices=TimeOff.Status.choices, initial=TimeOff.Status.APPROVED)
    hours_per_day = forms.DecimalField(
        required=False,
        min_value=Decimal("0.25"),
        max_value=Decimal(24),
        decimal_places=2,
        help_text="Leave empty for whole days.",
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:  # type: ignore[operator]
            self.add_error("end_date", "The last day cannot be before the first.")
        return cleaned


class PersonForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    role = forms.ModelChoiceField(queryset=Role.objects.all(), help_text="Main role.")
    efficiency = forms.DecimalField(
        min_value=Decimal("0.1"), max_value=Decimal("1.5"), decimal_places=2, initial=Decimal(1)
    )
    start_date = forms.DateField(widget=DateInput)
    end_date = forms.DateField(widget=DateInput, required=False)
    delivery_share = forms.DecimalField(
        min_value=Decimal(0), max_value=Decimal(1), decimal_places=2, initial=Decimal("0.80")
    )
    hours_mon = forms.DecimalField(min_value=0, max_value=24, initial=8, label="Mon")
    hours_tue = forms.DecimalField(min_value=0, max_value=24, initial=8, label="Tue")
    hours_wed = forms.DecimalField(min_value=0, max_value=24, initial=8, label="Wed")
    hours_thu = forms.DecimalField(min_value=0, max_value=24, initial=8, label="Thu")
    hours_fri = forms.DecimalField(min_value=0, max_value=24, initial=8, label="Fri")
    hours_sat = forms.DecimalField(min_value=0, max_value=24, initial=0, label="Sat")
    hours_sun = forms.DecimalField(min_value=0, max_value=24, initial=0, label="Sun")

    def person_fields(self) -> dict[str, object]:
        data = self.cleaned_data
        fields = {day: data[day] for day in WEEKDAY_FIELDS}
        fields.update(
            team=data["team"], end_date=data["end_date"], delivery_share=data["delivery_share"]
        )
        return fields
